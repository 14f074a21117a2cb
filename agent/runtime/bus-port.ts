// The bus port over agent/bus's PeerBus (H6b's), and the wiring from a site
// file: credentials from the site's secrets, the journal for peer messages,
// reservations and the outbox, and the embedded broker when this agent hosts it.
import type { Journal } from "../journal/index.js";
import { PeerBus, startBroker, type BusLogger, type EmbeddedBroker } from "../bus/index.js";
import type { Site } from "../config/load.js";
import type { BusPort } from "./ports.js";

export function busPort(bus: PeerBus): BusPort {
  return {
    up: () => bus.up(),
    peers: () => bus.peers(),
    leases: () => bus.leases(),
    budget: (committedKw, byElement) => bus.budget(committedKw, byElement),
    claim: (kw) => bus.claim(kw),
    quota: () => bus.quota(),
    renewQuota: (reason) => bus.renewQuota(reason),
    reserve: (kw, reason, pool) => bus.reserve(kw, reason, pool),
    claimRegion: (sections, element, switches, reason) => bus.claimRegion(sections, element, switches, reason),
    releaseClaim: (id, why) => bus.releaseClaim(id, why),
    regionClaims: () => bus.regionClaims(),
    closingSwitches: (elements) => bus.closingSwitches(elements),
    publishState: (s) =>
      bus.publishState({
        tick: s.tick,
        session: s.session.active ? { id: s.session.id, step: s.session.step, length: s.session.length } : null,
        switches: s.switches,
        served_kw: s.served_kw,
        ...(s.committed_by_element ? { committed_by_element: s.committed_by_element } : {}),
        health: s.health,
        ...(s.holds?.length ? { holds: s.holds.map((h) => ({ element: h.element, kind: h.kind, sections: [...h.sections], tick: h.tick })) } : {}),
      }),
    alarm: (kind, severity, detail) => bus.publishAlarm(kind, severity, detail),
    onCommand(handler) {
      bus.onCommand((c) => {
        // `status` is answered by the retained state; restore and abort reach the sessions, release the held switch.
        const reason = c.reason ? { reason: c.reason } : {};
        if (c.command === "restore" || c.command === "abort") return handler({ command: c.command, by: c.by, ...reason });
        if (c.command === "release") return handler({ command: "release", by: c.by, element: c.element ?? "", ...reason });
        return undefined;
      });
    },
    close: () => bus.close(),
  };
}

export interface SiteBus {
  bus: PeerBus;
  port: BusPort;
  broker: EmbeddedBroker | undefined;
}

/** Start the site's bus client (and its embedded broker, if the site hosts one). Never fails for a dead broker. */
export async function startSiteBus(site: Site, journal: Journal, log: BusLogger): Promise<SiteBus | undefined> {
  const b = site.config.bus;
  if (!b) return undefined;
  let broker: EmbeddedBroker | undefined;
  if (b.embedded) {
    broker = await startBroker({ host: b.embedded.host, port: b.embedded.port, baseTopic: b.base_topic, logger: log });
    log.info({ url: broker.url }, "embedded MQTT broker listening");
  }
  const s = site.secrets;
  const bus = new PeerBus({
    microgrid: site.config.microgrid,
    graph: site.sections,
    url: broker && b.embedded?.port === 0 ? broker.url : b.url,
    baseTopic: b.base_topic,
    ...(b.client_id ? { clientId: b.client_id } : {}),
    ...(b.username ? { username: b.username } : {}),
    ...(s.busPassword ? { password: s.busPassword.reveal() } : {}),
    ...(b.tls
      ? {
          tls: {
            ...(b.tls.ca ? { ca: b.tls.ca } : {}),
            ...(b.tls.cert ? { cert: b.tls.cert } : {}),
            ...(b.tls.key ? { key: b.tls.key } : {}),
            ...(s.busKeyPassphrase ? { passphrase: s.busKeyPassphrase.reveal() } : {}),
            rejectUnauthorized: b.tls.reject_unauthorized,
          },
        }
      : {}),
    quotaKw: site.quotaKw,
    ...(site.capKw !== undefined ? { capKw: site.capKw } : {}),
    peerStaleMs: b.peer_stale_ms,
    ackTimeoutMs: b.reservation.ack_timeout_ms,
    ...(b.reservation.ack_timeout_max_ms !== undefined ? { ackTimeoutMaxMs: b.reservation.ack_timeout_max_ms } : {}),
    leaseMs: b.reservation.lease_ms,
    lending: b.lending,
    backoffMinMs: site.config.poll.backoff_min_ms,
    backoffMaxMs: site.config.poll.backoff_max_ms,
    journal,
    logger: log,
  });
  bus.start();
  return { bus, port: busPort(bus), broker };
}
