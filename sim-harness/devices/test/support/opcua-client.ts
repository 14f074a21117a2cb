// A real node-opcua client for tests: SignAndEncrypt with Basic256Sha256, its
// own certificate in a throw-away PKI folder, trusting the bench server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AttributeIds,
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  type ClientSession,
  type StatusCode,
} from "node-opcua";

export interface UaClient {
  session: ClientSession;
  ns: number;
  read(device: string, node: string): Promise<unknown>;
  write(device: string, node: string, dataType: DataType, value: unknown): Promise<StatusCode>;
  close(): Promise<void>;
}

export async function connectUa(endpointUrl: string, namespaceUri = "urn:blackstart:iec61850", transactionTimeoutMs = 10_000): Promise<UaClient> {
  const pki = mkdtempSync(join(tmpdir(), "bs-ua-client-"));
  const clientCertificateManager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: true });
  const client = OPCUAClient.create({
    applicationName: "blackstart-test-client",
    securityMode: MessageSecurityMode.SignAndEncrypt,
    securityPolicy: SecurityPolicy.Basic256Sha256,
    endpointMustExist: false,
    clientCertificateManager,
    connectionStrategy: { maxRetry: 2, initialDelay: 200, maxDelay: 1000 },
    defaultTransactionTimeout: transactionTimeoutMs,
  });
  await client.connect(endpointUrl);
  const session = await client.createSession();
  const nsArray = (await session.read({ nodeId: "ns=0;i=2255", attributeId: AttributeIds.Value })).value.value as string[];
  const ns = nsArray.indexOf(namespaceUri);
  if (ns < 0) throw new Error(`namespace ${namespaceUri} not on the server (${nsArray.join(", ")})`);
  const id = (device: string, node: string) => `ns=${ns};s=${device}/${node}`;
  return {
    session,
    ns,
    async read(device, node) {
      const dv = await session.read({ nodeId: id(device, node), attributeId: AttributeIds.Value });
      if (dv.statusCode !== StatusCodes.Good) throw new Error(`read ${device}/${node}: ${dv.statusCode.toString()}`);
      return dv.value.value;
    },
    async write(device, node, dataType, value) {
      return session.write({ nodeId: id(device, node), attributeId: AttributeIds.Value, value: { value: { dataType, value } } });
    },
    async close() {
      await session.close();
      await client.disconnect();
      rmSync(pki, { recursive: true, force: true });
    },
  };
}
