// The peer bus (docs/bus.md): the MQTT client, the embedded broker, the outbox.
export { PeerBus, type PeerBusOptions, type OwnState, type OperatorCommand, type OperatorAnswer, type PeerInfo, type BusCounters, type BusTls, type BusLogger } from "./client.js";
export { startBroker, mayPublish, type EmbeddedBroker, type EmbeddedBrokerOptions, type BrokerUser } from "./broker.js";
export { Outbox, type OutboxRow } from "./outbox.js";
export { BusErrors } from "./errors.js";
export type { ReservationResult } from "../../shared/bus/index.js";
