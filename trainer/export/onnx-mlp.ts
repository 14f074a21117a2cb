// Writes an actor MLP (trainer/model/mlp.ts) as an ONNX model with onnx-proto:
// input `obs` float32 [batch, inputSize] -> Gemm -> Relu|Tanh -> LayerNormalization
// (per hidden layer) -> Gemm -> output `logits` float32 [batch, outSize].
// Opset 17 (LayerNormalization is a standard operator from 17 on).
import onnxProto from "onnx-proto";
import type { DenseParams, MlpParams } from "../model/mlp.js";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const ONNX_OPSET = 17;

export interface OnnxExportOptions {
  inputName?: string;
  outputName?: string;
  /** Graph name (e.g. the agent id). */
  name?: string;
  docString?: string;
  /** Model metadata (key/value strings), e.g. scenario, agent, elements. */
  metadata?: Record<string, string>;
}

function tensor(name: string, dims: number[], data: Float32Array): onnxProto.onnx.ITensorProto {
  // rawData is little-endian float32; copy so the bytes are exactly this array's.
  const copy = new Float32Array(data);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(copy.buffer) };
}

function valueInfo(name: string, width: number): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimValue: width }] } } } };
}

export function mlpToOnnx(p: MlpParams, options: OnnxExportOptions = {}): Uint8Array {
  const inputName = options.inputName ?? "obs";
  const outputName = options.outputName ?? "logits";
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  const node: onnxProto.onnx.INodeProto[] = [];
  let x = inputName;
  const gemm = (d: DenseParams, prefix: string, out: string) => {
    initializer.push(tensor(`${prefix}.weight`, [d.inSize, d.outSize], d.w), tensor(`${prefix}.bias`, [d.outSize], d.b));
    node.push({ name: `${prefix}.gemm`, opType: "Gemm", input: [x, `${prefix}.weight`, `${prefix}.bias`], output: [out] });
    x = out;
  };
  p.hidden.forEach((layer, i) => {
    const prefix = `hidden${i}`;
    gemm(layer.dense, prefix, `${prefix}.linear`);
    const act = p.activation === "relu" ? "Relu" : "Tanh";
    node.push({ name: `${prefix}.${act.toLowerCase()}`, opType: act, input: [x], output: [`${prefix}.act`] });
    x = `${prefix}.act`;
    if (layer.norm) {
      initializer.push(tensor(`${prefix}.norm.scale`, [layer.norm.size], layer.norm.gamma), tensor(`${prefix}.norm.bias`, [layer.norm.size], layer.norm.beta));
      node.push({
        name: `${prefix}.norm`,
        opType: "LayerNormalization",
        input: [x, `${prefix}.norm.scale`, `${prefix}.norm.bias`],
        output: [`${prefix}.norm`],
        attribute: [
          { name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: -1 },
          { name: "epsilon", type: onnx.AttributeProto.AttributeType.FLOAT, f: layer.norm.eps },
        ],
      });
      x = `${prefix}.norm`;
    }
  });
  gemm(p.head, "head", outputName);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "blackstart",
    producerVersion: "1",
    docString: options.docString ?? "",
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.name ?? "actor",
      input: [valueInfo(inputName, p.inputSize)],
      output: [valueInfo(outputName, p.head.outSize)],
      initializer,
      node,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
