// States of a generation reservation, as the journal records them.
// Own: requested -> granted | aborted; granted -> released | expired.
// A peer's, as seen here: received -> (deferred ->) acked | nacked; acked ->
// held (a lease counted against the headroom) | dropped; held -> released | expired.
export const RESERVATION_STATES = [
  "requested",
  "granted",
  "aborted",
  "released",
  "expired",
  "received",
  "deferred",
  "acked",
  "nacked",
  "held",
  "dropped",
] as const;
export type ReservationState = (typeof RESERVATION_STATES)[number];

const FINAL: readonly ReservationState[] = ["aborted", "released", "expired", "nacked", "dropped"];
export function reservationFinal(s: ReservationState): boolean {
  return FINAL.includes(s);
}
