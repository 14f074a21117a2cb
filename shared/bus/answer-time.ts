// How long peers take to answer a request, learned from their answers, so that
// a request on a slow or lossy link waits long enough instead of timing out,
// being asked again and timing out again. The estimate is TCP's retransmission
// timer (RFC 6298): a smoothed answer time and its variation, and a timeout of
// the smoothed time plus four variations. Karn's rule is not needed: every
// answer names its request, so an answer that comes after its request timed
// out is still a clean sample, and under packet loss it is the telling one.
// An answer a peer held back on purpose (behind its own request, or its own
// decision) says how long it held it (`held_ms`), which is not the link's.

export interface AnswerTimeFigures {
  samples: number;
  srtt_ms: number | null;
  rttvar_ms: number | null;
  timeout_ms: number;
}

export class AnswerTime {
  private srtt: number | null = null;
  private rttvar = 0;
  private n = 0;

  /**
   * @param floorMs the configured ack timeout: never less (a quiet link keeps the old behaviour)
   * @param ceilMs never more: a peer this slow is as good as gone, and the decision waits on it
   */
  constructor(
    private readonly floorMs: number,
    private readonly ceilMs: number,
  ) {
    if (!(floorMs > 0) || !(ceilMs >= floorMs)) throw new RangeError(`answer time: need 0 < floor (${floorMs}) <= ceiling (${ceilMs})`);
  }

  /** One answer's time from the request's sending to its arrival, less what the peer held it (ms). */
  sample(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.n++;
    if (this.srtt === null) {
      this.srtt = ms;
      this.rttvar = ms / 2;
      return;
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
    this.srtt = 0.875 * this.srtt + 0.125 * ms;
  }

  /** How long each peer is given to answer now (ms). */
  timeoutMs(): number {
    if (this.srtt === null) return this.floorMs;
    return Math.min(this.ceilMs, Math.max(this.floorMs, Math.ceil(this.srtt + 4 * this.rttvar)));
  }

  figures(): AnswerTimeFigures {
    return { samples: this.n, srtt_ms: this.srtt === null ? null : Math.round(this.srtt), rttvar_ms: this.srtt === null ? null : Math.round(this.rttvar), timeout_ms: this.timeoutMs() };
  }
}

/**
 * Own requests recently sent (id -> when), so that every answer, even one that
 * comes after its request settled, is a sample. Bounded: the last `size`.
 */
export class SentRequests {
  private readonly sent = new Map<string, number>();
  constructor(private readonly size = 32) {}

  add(id: string, at: number): void {
    this.sent.set(id, at);
    if (this.sent.size > this.size) this.sent.delete(this.sent.keys().next().value!);
  }

  /** Answer time of an answer to `id` arriving at `now`, less the time the peer held it; undefined for an unknown request. */
  answerMs(id: string, now: number, heldMs: number | undefined): number | undefined {
    const at = this.sent.get(id);
    return at === undefined ? undefined : Math.max(0, now - at - (heldMs ?? 0));
  }
}

/**
 * An engine's own requests against the answer time: each request waits twice
 * the time a peer is given now, and every answer to one, even late, is a
 * sample. Reservations and close claims share one `AnswerTime`; without one,
 * each peer is always given `ackTimeoutMs`.
 */
export class OwnRequests {
  private readonly answerTime: AnswerTime;
  private readonly sent = new SentRequests();

  constructor(ackTimeoutMs: number, answerTime?: AnswerTime) {
    this.answerTime = answerTime ?? new AnswerTime(ackTimeoutMs, ackTimeoutMs);
  }

  /** Request `id` goes out now: how long it waits for every answer (ms). */
  send(id: string, now: number): number {
    this.sent.add(id, now);
    return 2 * this.answerTime.timeoutMs();
  }

  /** An answer to request `id` arrived now, held back `heldMs` by its peer: a sample, if `id` is one of these. */
  answered(id: string, now: number, heldMs: number | undefined): void {
    const ms = this.sent.answerMs(id, now, heldMs);
    if (ms !== undefined) this.answerTime.sample(ms);
  }
}

