// Topics of the peer bus: everything of one fleet under one base topic
// (zigbee2mqtt style), each microgrid publishing only under its own id, so a
// broker ACL can say "an agent writes <base>/<its id>/# and reads <base>/#".
//
//   <base>/<mg>/availability          retained  online | offline (last will)
//   <base>/<mg>/state                 retained  switch states, served load, allocation, health, tick
//   <base>/<mg>/reservation/request             a generation reservation asked by <mg>
//   <base>/<mg>/reservation/response            <mg>'s ack or nack of someone's request
//   <base>/<mg>/reservation/outcome             granted | aborted | released, by the requester
//   <base>/<mg>/claim/request                   a claim on a dead region asked by <mg>
//   <base>/<mg>/claim/response                  <mg>'s ack or nack of someone's claim
//   <base>/<mg>/claim/outcome                   granted | aborted | released, by the claimant
//   <base>/<mg>/alarm                           an alarm raised by <mg>
//   <base>/<mg>/request/command                 operator -> agent (restore, abort, status)
//   <base>/<mg>/response/command                agent -> operator

export const TOPIC_KINDS = [
  "availability",
  "state",
  "reservation/request",
  "reservation/response",
  "reservation/outcome",
  "claim/request",
  "claim/response",
  "claim/outcome",
  "alarm",
  "request/command",
  "response/command",
] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** Retained topics: the broker keeps the last message for late subscribers. */
export const RETAINED: ReadonlySet<TopicKind> = new Set(["availability", "state"]);

export function topicOf(base: string, microgrid: string, kind: TopicKind): string {
  return `${base}/${microgrid}/${kind}`;
}

/** What an agent subscribes to: every microgrid's topics under the base. */
export function fleetFilter(base: string): string {
  return `${base}/#`;
}

export interface ParsedTopic {
  microgrid: string;
  kind: TopicKind;
}

/** `<base>/<mg>/<kind>` -> its parts, or null when the topic is not one of ours. */
export function parseTopic(base: string, topic: string): ParsedTopic | null {
  if (!topic.startsWith(`${base}/`)) return null;
  const rest = topic.slice(base.length + 1);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const microgrid = rest.slice(0, slash);
  const kind = rest.slice(slash + 1) as TopicKind;
  return TOPIC_KINDS.includes(kind) ? { microgrid, kind } : null;
}
