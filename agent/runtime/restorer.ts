// One tick of the agent: read all devices -> observation -> policy -> safety
// shield -> per switch the best action the shield allows -> command -> write
// -> read-back -> journal -> publish state. The caller (loop.ts) guarantees
// that no two ticks run at once. Decisions are made only inside a restoration
// session; outside one the agent keeps watching (reads, journals, publishes).
import type { AgentPolicy } from "../../shared/policy/runner.js";
import { SWITCH_ACTIONS } from "../../shared/encoding/actions.js";
import type { ObservationKind } from "../../shared/policy/manifest.js";
import { canonicalElement } from "../../shared/names.js";
import { DEFAULT_LIMITS, deenergizedBy, evaluate, indexGraph, pickedUpBy, type AdmittedOperation, type GraphIndex, type ShieldInput, type ShieldLimits, type Verdict } from "../../shared/shield/index.js";
import type { Site } from "../config/load.js";
import type { AgentMetrics } from "../ops/agent-metrics.js";
import type { FieldDevice } from "../transports/device.js";
import type { Clock } from "./clock.js";
import { Commander, type CommandResult } from "./commander.js";
import { dispose } from "./dispose.js";
import { Ledger } from "./ledger.js";
import { FieldObserver } from "./observe.js";
import { DevicePoller } from "./poller.js";
import type { AgentStatePayload, BusPort, CommandRecord, JournalPort, OperatorCommand } from "./ports.js";
import { SessionControl, type Session, type SessionChange } from "./session.js";
import { budget, buildShieldInput, type SwitchContext } from "./shield-input.js";
import { HOLD_KINDS, PositionWatch, type HoldKind, type SwitchHold } from "./trips.js";
import { pccView, switchView, unitView, type DeviceState, type PccView, type SwitchView, type UnitView } from "./views.js";

export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RestorerDeps {
  site: Site;
  devices: readonly FieldDevice[];
  policy: AgentPolicy;
  journal: JournalPort;
  bus: BusPort | undefined;
  clock: Clock;
  metrics: AgentMetrics;
  log: Log;
  /** The policy's observation kind (its manifest's); default `switch-states`. */
  observation?: ObservationKind;
}

export interface TickDecision {
  id: string;
  /** Final action per element. */
  actions: Record<string, "close" | "open" | "noop">;
  vetoes: { element: string; action: string; rule: string; detail: string }[];
  commands: { element: string; action: string; outcome: string; ms: number }[];
  /** Why the agent made no operation at all, if it held. */
  hold?: string;
  reservation?: { kw: number; granted: boolean; reason?: string };
  /** A close claim on a dead region asked in this decision (rule region-claim, docs/bus.md). */
  claim?: { element: string; sections: number; granted: boolean; id: string; reason?: string };
}

export interface TickReport {
  tick: number;
  session: { id: string; step: number; length: number } | null;
  /** Sessions started or ended at this tick. */
  changes: { kind: string; session: string; outcome?: string }[];
  devices: Record<string, { ok: boolean; error?: string }>;
  switches: Record<string, string>;
  decision?: TickDecision;
  /** Switches held after an uncommanded change of position (element -> kind), until an operator releases them. */
  held?: Record<string, HoldKind>;
  served_kw: number;
  ms: { poll: number; decide?: number; command?: number; total: number };
}

const STATE_OF: Record<string, "open" | "closed" | "unknown"> = { open: "open", closed: "closed" };

export class Restorer {
  readonly poller: DevicePoller;
  readonly sessions: SessionControl;
  private readonly commander: Commander;
  private readonly ix: GraphIndex;
  private readonly limits: ShieldLimits;
  private readonly staleAfterMs: number;
  private readonly devices: ReadonlyMap<string, FieldDevice>;
  /** Device of each element, in policy order. */
  private readonly switchDevices: string[];
  private readonly ledger: Ledger;
  /** The policy's observation, from the devices' readings (observe.ts). */
  readonly observer: FieldObserver;
  private readonly lastOperation = new Map<string, number>();
  /** Commands whose outcome could not be read: the agent holds until they are settled. */
  private readonly unknown = new Map<string, CommandRecord>();
  /** Elements with a command in flight in this tick. */
  private readonly inFlight = new Map<string, string>();
  /** Switches whose command failed in this session (stuck): held until a new session, element -> command id. */
  private readonly failedInSession = new Map<string, string>();
  /** External clock: commands written whose new position later polls must show (by command id). */
  private readonly awaiting = new Map<string, { op: AdmittedOperation; device: string; since: number; deadlineTick: number }>();
  private readonly lastKnown = new Map<string, "open" | "closed">();
  /** Uncommanded changes of position and the switches held for them (trips.ts). */
  readonly trips = new PositionWatch();
  /** Operator releases of held switches, applied at the next tick. */
  private readonly releases: OperatorCommand[] = [];
  private readonly failingDevices = new Set<string>();
  /** Each element as the section graph (the scenario) spells it, in policy order: the name in views, journal and reports. */
  private readonly names: readonly string[];
  /** Own close claims granted (claim id -> element): released once the close is confirmed or failed, or not made. */
  private readonly claimed = new Map<string, string>();
  /** Outcome of the last command on each element (for the journal's claim release). */
  private readonly lastOutcome = new Map<string, string>();
  private tickNo = 0;
  private lastObservation: { at: number; signature: string } | undefined;
  private last: TickReport | undefined;

  constructor(private readonly d: RestorerDeps) {
    const c = d.site.config;
    this.staleAfterMs = c.poll.stale_after_ms ?? 3 * c.poll.period_ms;
    this.limits = {
      ...DEFAULT_LIMITS,
      stale_after_ms: this.staleAfterMs,
      min_operation_interval_ms: c.limits.min_operation_interval_ms,
      select_timeout_ms: c.limits.select_timeout_ms,
      ...(c.pcc ? { dead_below_pu: c.pcc.dead_below_pu } : {}),
    };
    this.devices = new Map(d.devices.map((x) => [x.id, x]));
    this.switchDevices = d.site.elements.map((e) => bindingOf(d.site, e));
    this.ix = indexGraph(d.site.sections);
    const spelled = new Map(d.site.sections.switches.map((sw) => [canonicalElement(sw.element), sw.element]));
    this.names = d.site.elements.map((e) => spelled.get(e) ?? e);
    this.poller = new DevicePoller(d.devices, d.clock, c.poll.timeout_ms, {
      latency: (id, ms) => d.metrics.pollLatency.observe(ms / 1000, { device: id }),
      error: (id, kind) => d.metrics.deviceErrors.inc({ device: id, kind }),
    });
    this.commander = new Commander(d.journal, d.clock, { confirmTimeoutMs: c.limits.confirm_timeout_ms, readbackIntervalMs: 50 }, (s) => this.poller.record(s));
    this.sessions = new SessionControl({ length: c.session.episode_length, autoStart: c.session.auto_start, confirmMs: c.pcc?.confirm_ms ?? 0 });
    const saved = d.journal.lastEvent("ledger");
    this.ledger = new Ledger((saved?.committed as Record<string, number> | undefined) ?? {});
    this.observer = new FieldObserver(d.observation ?? "switch-states", this.ix, c.microgrid, this.limits.dead_below_pu);
    this.restoreHolds();
  }

  /** The last tick's report (HTTP /state). */
  lastReport(): TickReport | undefined {
    return this.last;
  }

  /** Commands whose outcome is unknown (the agent holds while there are any). */
  unresolvedCount(): number {
    return this.unknown.size;
  }

  /** Commands written and not yet seen to take effect (external clock). */
  awaitingCount(): number {
    return this.awaiting.size;
  }

  servedKw(): number {
    return this.ledger.committedKw();
  }

  request(c: OperatorCommand): void {
    this.d.journal.event("operator-command", { ...c });
    if (c.command === "release") this.releases.push(c);
    else this.sessions.request(c);
  }

  /**
   * Can `element` be released now? Its name as the site spells it and its
   * hold, or why not (not an element of this site, not held). The release
   * itself is a `request` and takes effect at the next tick.
   */
  releasable(element: string): { element: string; hold: SwitchHold } | { error: "unknown" | "not-held"; detail: string } {
    const name = this.names.find((n) => canonicalElement(n) === canonicalElement(element));
    if (!name) return { error: "unknown", detail: `${element} is not a switch of microgrid ${this.d.site.config.microgrid} (${this.names.join(", ")})` };
    const hold = this.trips.holdOf(name);
    if (!hold) return { error: "not-held", detail: `${name} is not held` };
    return { element: name, hold };
  }

  /**
   * An operator's release of a held switch (HTTP or bus): checked now, applied
   * at the next tick (its alarms cleared, the hold gone from the published
   * state, so the peers stop counting its sections faulted). A refusal is
   * journaled (`release-refused`) with why.
   */
  requestRelease(element: string, by: string, reason?: string): ReturnType<Restorer["releasable"]> {
    const r = this.releasable(element);
    if ("error" in r) {
      this.d.journal.event("release-refused", { element, by, reason: reason ?? null, why: r.detail });
      this.d.log.warn({ element, by, why: r.detail }, "release refused");
      return r;
    }
    this.request({ command: "release", by, element: r.element, ...(reason ? { reason } : {}) });
    return r;
  }

  /**
   * Settle commands a crash left in flight, by reading their devices (never by
   * writing again). Those whose device cannot be read stay unknown and the
   * agent holds until a later tick reads them.
   */
  async recover(): Promise<{ confirmed: number; failed: number; unknown: number }> {
    const out = { confirmed: 0, failed: 0, unknown: 0 };
    for (const rec of this.d.journal.unresolved()) {
      const device = this.devices.get(rec.device);
      if (!device) {
        this.d.log.error({ command: rec.id, device: rec.device }, "unresolved command names a device this site does not have; holding");
        this.unknown.set(rec.id, rec);
        out.unknown++;
        continue;
      }
      const outcome = await this.commander.resolve(rec, device, this.d.site.config.limits.confirm_timeout_ms);
      this.d.log.warn({ command: rec.id, element: rec.element, action: rec.action, was: rec.state, outcome }, "command left in flight by a restart resolved by reading the device");
      this.settled(rec, outcome);
      out[outcome]++;
    }
    this.d.metrics.unresolvedCommands.set(this.unknown.size);
    return out;
  }

  async tick(): Promise<TickReport> {
    const { clock, metrics, journal, site } = this.d;
    const tick = ++this.tickNo;
    const t0 = clock.now();
    const states = await this.poller.poll();
    const now = clock.now();
    const switches = this.switchViews(states, now);
    const units = Object.entries(site.config.units).map(([id, b]) => unitView(id, b.device, states.get(b.device), now, this.staleAfterMs, b.rating_kw));
    const pcc = site.config.pcc ? pccView(site.config.pcc.device, states.get(site.config.pcc.device), now, this.staleAfterMs, site.config.pcc.nominal_v, site.config.pcc.dead_below_pu) : undefined;
    for (const v of switches) if (v.position === "open" || v.position === "closed") this.lastKnown.set(v.element, v.position);
    this.watchDevices(states);
    this.journalObservation(tick, now, switches, units, pcc, states);

    this.checkAwaiting(tick, switches);
    await this.settleUnknown(switches);
    this.applyReleases(tick);
    this.watchPositions(tick, now, switches);

    const changes = this.sessions.update(now, pcc);
    for (const ch of changes) this.onSessionChange(ch);
    let decision: TickDecision | undefined;
    let decideMs: number | undefined;
    let commandMs: number | undefined;
    const s = this.sessions.current;
    if (s) {
      const r = await this.decideAndAct(tick, s, switches, units, pcc);
      decision = r.decision;
      decideMs = r.decideMs;
      commandMs = r.commandMs;
      const end = this.sessions.stepDone();
      if (end) {
        this.onSessionChange(end);
        changes.push(end);
      }
    }
    metrics.ticks.inc({ phase: s ? "session" : "watching" });
    metrics.sessionActive.set(this.sessions.current ? 1 : 0);
    metrics.servedKw.set(this.ledger.committedKw());
    const report: TickReport = {
      tick,
      session: this.sessions.current ? { id: this.sessions.current.id, step: this.sessions.current.step, length: this.sessions.current.length } : null,
      changes: changes.map((c) => ({ kind: c.kind, session: c.session.id, ...(c.kind === "ended" ? { outcome: c.outcome } : {}) })),
      devices: Object.fromEntries([...states.values()].map((st) => [st.id, st.error ? { ok: false, error: `${st.error.kind}: ${st.error.message}` } : { ok: true }])),
      switches: Object.fromEntries(this.positionsNow(switches)),
      ...(decision ? { decision } : {}),
      ...(this.trips.holds().length ? { held: Object.fromEntries(this.trips.holds().map((h) => [h.element, h.kind])) } : {}),
      served_kw: this.ledger.committedKw(),
      ms: { poll: now - t0, ...(decideMs !== undefined ? { decide: decideMs } : {}), ...(commandMs !== undefined ? { command: commandMs } : {}), total: 0 },
    };
    await this.publish(report, switches);
    this.releaseClaims();
    report.ms.total = clock.now() - t0;
    metrics.tickDuration.observe(report.ms.total / 1000);
    this.last = report;
    return report;
  }

  // ------------------------------------------------------------ decisions

  private async decideAndAct(
    tick: number,
    s: Session,
    switches: SwitchView[],
    units: UnitView[],
    pcc: PccView | undefined,
  ): Promise<{ decision: TickDecision; decideMs: number; commandMs: number }> {
    const { clock, metrics, journal, policy, site, bus } = this.d;
    const t0 = clock.now();
    const obs = this.observer.observe({ switches, lastKnown: (e) => this.lastKnown.get(e), input: () => this.graphInput(t0, switches), step: s.step, episodeLength: s.length });
    let input = this.shieldInput(clock.now(), switches);
    let result = evaluate(this.ix, input);
    // What the policy wants, unmasked: a vetoed wish is journaled with its rule.
    const wish = await policy.decide(obs);
    let { wished, chosen, admission, verdicts } = dispose(this.ix, this.names, wish, input, result);
    let reservation: TickDecision["reservation"];
    let claim: TickDecision["claim"];
    // A close into a dead region another microgrid may also energize this tick: claim the region first.
    const want = claimWanted(verdicts);
    if (want && bus?.up()) {
      const res = await bus.claimRegion(want.region, want.element, want.switches, `close ${want.element}`);
      claim = { element: want.element, sections: want.region.length, granted: res.granted, id: res.id, ...(res.reason ? { reason: res.reason } : {}) };
      journal.event("region-claim", { tick, session: s.id, ...claim, region: want.region, competitors: Object.keys(want.switches), ...(res.detail ? { detail: res.detail } : {}) });
      this.d.log.info({ tick, session: s.id, ...claim }, res.granted ? "region claim granted" : "region claim refused");
      if (res.granted) {
        this.claimed.set(res.id, want.element);
        this.lastOutcome.delete(want.element);
        switches = await this.freshAfterWait(tick, switches);
        input = this.shieldInput(clock.now(), switches);
        result = evaluate(this.ix, input);
        ({ wished, chosen, admission, verdicts } = dispose(this.ix, this.names, wish, input, result));
      }
    }
    const { kw: shortfall, pool } = this.shortfall(verdicts);
    if (shortfall > 0 && bus?.up()) {
      const res = await bus.reserve(shortfall, `pick-up of ${verdicts.find((v) => v.rule === "generation")?.element}`, pool);
      reservation = { kw: shortfall, granted: res.granted, ...(res.reason ? { reason: res.reason } : {}) };
      metrics.reservations.inc({ result: res.granted ? "granted" : "refused" });
      journal.event("reservation", { tick, session: s.id, ...reservation, id: res.id ?? null });
      this.d.log.info({ tick, session: s.id, ...reservation }, res.granted ? "reservation granted" : "reservation refused: static quota only");
      if (res.granted) {
        switches = await this.freshAfterWait(tick, switches);
        input = this.shieldInput(clock.now(), switches);
        result = evaluate(this.ix, input);
        ({ wished, chosen, admission, verdicts } = dispose(this.ix, this.names, wish, input, result));
      }
    }
    let admitted = admission.admitted;
    let hold: string | undefined;
    if (this.unknown.size > 0) {
      hold = `holding: ${this.unknown.size} command(s) with unknown outcome (${[...this.unknown.values()].map((c) => `${c.action} ${c.element}`).join(", ")})`;
      admitted = [];
    }
    // Peers' claims acked while this decision was made: no close onto their regions (rule region-claim).
    // Then, before anything is written, the bus refuses claims that count on these switches open.
    if (bus && admitted.length) ({ admitted, verdicts } = this.lateClaims(input, admitted, verdicts));
    bus?.closingSwitches(admitted.filter((o) => o.action === "close").map((o) => o.element));
    // What this decision takes of the generation budget; only the rest may be lent to peers.
    bus?.claim(this.ledger.committedKw() + this.awaitingPickupKw() + admitted.reduce((kw, o) => kw + (o.action === "close" ? o.pickup_kw : 0), 0));
    const actions = Int32Array.from(admission.actions);
    if (hold) actions.fill(2);
    const decideMs = clock.now() - t0;
    metrics.decisionLatency.observe(decideMs / 1000);
    const id = journal.decision({
      tick,
      sessionId: s.id,
      step: s.step,
      policy: { kind: policy.kind, label: policy.label },
      observation: Array.from(obs),
      logits: Array.from(wish.logits),
      mask: Array.from(result.mask),
      actions: Array.from(actions),
      shieldInput: input,
      outcome: {
        wished: wished.operations.map((o) => `${o.name} ${o.element}`),
        chosen: chosen.operations.map((o) => `${o.name} ${o.element}`),
        admitted: admitted.map((o) => ({ element: o.element, action: o.action, pickup_kw: o.pickup_kw })),
        ...(hold ? { hold } : {}),
        ...(reservation ? { reservation } : {}),
        ...(claim ? { claim } : {}),
        ...(pcc ? { pcc_pu: pcc.voltagePu ?? null } : {}),
        units: units.map((u) => ({ id: u.id, p_kw: u.pKw ?? null, rating_kw: u.ratingKw ?? null, stale: u.stale })),
      },
      verdicts,
    });
    for (let k = 0; k < actions.length; k++) metrics.decisions.inc({ action: SWITCH_ACTIONS[actions[k]!]! });
    for (const v of verdicts) metrics.vetoes.inc({ rule: v.rule });
    if (verdicts.length) this.d.log.info({ tick, session: s.id, vetoes: verdicts.map((v) => `${v.action} ${v.element}: ${v.rule}`) }, "shield vetoed operations");

    const t1 = clock.now();
    const results = await this.execute(id, admitted);
    const commandMs = clock.now() - t1;
    const decision: TickDecision = {
      id,
      actions: Object.fromEntries(this.names.map((e, k) => [e, SWITCH_ACTIONS[actions[k]!]!])),
      vetoes: verdicts.map((v) => ({ element: v.element, action: v.action, rule: v.rule, detail: v.detail })),
      commands: results.map((r) => ({ element: r.element, action: r.action, outcome: r.outcome, ms: r.ms })),
      ...(hold ? { hold } : {}),
      ...(reservation ? { reservation } : {}),
      ...(claim ? { claim } : {}),
    };
    return { decision, decideMs, commandMs };
  }

  /**
   * Closes admitted on an input that did not know a peer's claim acked since
   * (the bus answers requests while the decision awaits the policy or a
   * reservation): judged again with the claims as they are now.
   */
  private lateClaims(input: ShieldInput, admitted: AdmittedOperation[], verdicts: Verdict[]): { admitted: AdmittedOperation[]; verdicts: Verdict[] } {
    const now = this.d.bus!.regionClaims();
    const known = new Set((input.claims?.peers ?? []).map((c) => c.id));
    if (now.peers.every((c) => known.has(c.id))) return { admitted, verdicts };
    const again = evaluate(this.ix, { ...input, claims: { ...(input.claims ?? { own: [], bus_up: false }), peers: now.peers } });
    const late: Verdict[] = [];
    const kept = admitted.filter((o) => {
      if (o.action !== "close") return true;
      const v = again.switches[o.index]!.vetoes.filter((x) => x.action === "close" && x.rule === "region-claim" && x.values.claimed_by !== undefined);
      late.push(...v);
      return v.length === 0;
    });
    return late.length ? { admitted: kept, verdicts: [...verdicts, ...late] } : { admitted, verdicts };
  }

  /**
   * After the state is published: release each own claim whose close is no
   * longer in flight (confirmed, failed, or never written): the state just
   * published shows it, and peers keep the claim until they have seen it.
   */
  private releaseClaims(): void {
    const bus = this.d.bus;
    if (!bus) return;
    for (const [id, element] of [...this.claimed]) {
      let inFlight = this.inFlight.has(element);
      for (const a of this.awaiting.values()) if (a.op.element === element) inFlight = true;
      if (inFlight) continue;
      this.claimed.delete(id);
      const outcome = this.lastOutcome.get(element);
      bus.releaseClaim(id, outcome ? `close of ${element} ${outcome}` : `${element} not closed`);
    }
  }

  /**
   * The switch readings to judge again on after the decision waited on the bus.
   * Under packet loss a reservation or a claim takes seconds; judged on the
   * readings of the tick's start, every switch would then be stale-data and the
   * grant wasted (the packet-loss bench: mg1's 20 kW granted after 3.4 s, all
   * ten switches refused). Read again once half the staleness limit is gone,
   * and judge on that. Only the shield's input changes: the observation, the
   * positions the tick watches for uncommanded changes and the tick report keep
   * the tick's own readings.
   */
  private async freshAfterWait(tick: number, switches: SwitchView[]): Promise<SwitchView[]> {
    const { clock, journal } = this.d;
    const now = clock.now();
    const oldest = Math.min(...switches.map((v) => v.readAt ?? -Infinity));
    if (!(now - oldest >= this.staleAfterMs / 2)) return switches;
    const states = await this.poller.poll();
    const views = this.switchViews(states, clock.now());
    journal.event("reread", { tick, waited_ms: Math.round(now - oldest), stale_after_ms: this.staleAfterMs, changed: views.flatMap((v, k) => (v.position !== switches[k]!.position ? [`${v.element} ${switches[k]!.position}->${v.position}`] : [])) });
    return views;
  }

  /** This agent's switches as the devices' latest states show them at `now`, in policy order. */
  private switchViews(states: ReadonlyMap<string, DeviceState>, now: number): SwitchView[] {
    return this.names.map((e, k) => switchView(e, this.switchDevices[k]!, states.get(this.switchDevices[k]!), now, this.staleAfterMs));
  }

  /** kW a reservation must add for the most preferred pick-up vetoed only for generation, and the pool it draws on (physics). */
  private shortfall(verdicts: readonly Verdict[]): { kw: number; pool?: string } {
    for (const v of verdicts) {
      if (v.rule !== "generation") continue;
      // Only when generation is the sole obstacle: no lease can fix a fault or stale data.
      if (verdicts.some((o) => o.index === v.index && o.action === v.action && o.rule !== "generation")) continue;
      // The rule's own shortfall, from its exact figures (the values it shows are rounded to the watt).
      const kw = Number(v.values.shortfall_kw);
      if (Number.isFinite(kw) && kw > 0) return { kw, ...(typeof v.values.pool === "string" ? { pool: v.values.pool } : {}) };
    }
    return { kw: 0 };
  }

  private async execute(decisionId: string, ops: readonly AdmittedOperation[]): Promise<CommandResult[]> {
    if (ops.length === 0) return [];
    // Different devices in parallel; operations on one device one after another.
    const byDevice = new Map<string, AdmittedOperation[]>();
    for (const op of ops) {
      const dev = this.switchDevices[op.index]!;
      let list = byDevice.get(dev);
      if (!list) byDevice.set(dev, (list = []));
      list.push(op);
    }
    const groups = await Promise.all(
      [...byDevice.entries()].map(async ([devId, list]) => {
        const device = this.devices.get(devId)!;
        const out: CommandResult[] = [];
        for (const op of list) {
          this.inFlight.set(op.element, decisionId);
          this.lastOperation.set(op.element, this.d.clock.now());
          // Registered before the write: the move it makes is not an uncommanded change.
          this.trips.commanded(op.element, op.action === "close" ? "closed" : "open");
          try {
            const defer = this.d.site.config.clock === "external";
            const r = await this.commander.execute(decisionId, op.element, device, op.action, op.action === "close" ? op.pickup_kw : 0, defer);
            out.push(r);
            if (r.outcome === "pending") {
              this.awaiting.set(r.id, { op, device: devId, since: this.tickNo, deadlineTick: this.tickNo + this.d.site.config.limits.confirm_ticks });
            } else this.afterCommand(r, op);
          } finally {
            this.inFlight.delete(op.element);
          }
        }
        return out;
      }),
    );
    return groups.flat();
  }

  private afterCommand(r: CommandResult, op: AdmittedOperation): void {
    const { metrics, journal, log } = this.d;
    metrics.commands.inc({ outcome: r.outcome });
    this.lastOutcome.set(r.element, r.outcome);
    if (r.outcome === "confirmed") {
      if (op.action === "close") this.ledger.closed(op.element, op.pickup_kw);
      else this.ledger.opened(op.element);
      journal.event("ledger", { committed: this.ledger.toJSON(), committed_kw: this.ledger.committedKw(), by: r.id });
      log.info({ command: r.id, element: r.element, action: r.action, ms: Math.round(r.ms), pickup_kw: op.pickup_kw }, "command confirmed");
      return;
    }
    if (r.outcome === "failed") {
      this.failedInSession.set(r.element, r.id);
      // It did not move when told: if it moves later, that is not this command's doing.
      this.trips.settled(r.element);
    }
    const kind = r.outcome === "failed" ? "command-failed" : "command-unknown";
    metrics.alarms.inc({ kind });
    journal.alarm(kind, { command: r.id, element: r.element, device: r.device, action: r.action, ...r.detail });
    log.error({ command: r.id, element: r.element, action: r.action, outcome: r.outcome, detail: r.detail }, r.outcome === "failed" ? "command failed: the switch did not move" : "command outcome unknown: holding");
    if (r.outcome === "unknown") {
      this.unknown.set(r.id, { id: r.id, decisionId: "", element: r.element, device: r.device, action: r.action, pickupKw: op.pickup_kw, state: "unknown" });
      metrics.unresolvedCommands.set(this.unknown.size);
    }
  }

  private awaitingPickupKw(): number {
    let kw = 0;
    for (const a of this.awaiting.values()) if (a.op.action === "close") kw += a.op.pickup_kw;
    return kw;
  }

  /** Commitments per own switch: confirmed closes (the ledger) and closes written but not yet seen to take effect. */
  private committedByElement(): Record<string, number> {
    const out = this.ledger.toJSON();
    for (const a of this.awaiting.values()) if (a.op.action === "close") out[a.op.element] = (out[a.op.element] ?? 0) + a.op.pickup_kw;
    return out;
  }

  /**
   * At shutdown: one last read of the devices with commands awaiting their
   * new position. What shows it is confirmed; the rest stays `written` in the
   * journal, for the next start to settle by reading (never guessed failed).
   */
  async finish(): Promise<void> {
    for (const [id, a] of [...this.awaiting.entries()]) {
      const device = this.devices.get(a.device);
      if (!device) continue;
      try {
        const snap = await device.read();
        const target = a.op.action === "close" ? "closed" : "open";
        if (!snap.invalid.includes("position") && snap.values.position === target) {
          this.awaiting.delete(id);
          this.commander.settle(id, "confirmed", { by: "read at shutdown", position: target });
          this.afterCommand({ id, element: a.op.element, device: a.device, action: a.op.action, outcome: "confirmed", detail: {}, position: target, ms: 0 }, a.op);
        }
      } catch {
        // left for the next start
      }
    }
  }

  /**
   * External clock: a written command is confirmed when a later poll shows the
   * new position; failed when, `confirm_ticks` later, it shows the old one;
   * unknown (the agent holds) when by then its device cannot be read.
   */
  private checkAwaiting(tick: number, switches: readonly SwitchView[]): void {
    for (const [id, a] of [...this.awaiting.entries()]) {
      const v = switches[a.op.index]!;
      const target = a.op.action === "close" ? "closed" : "open";
      const readable = !v.readFailed && v.position !== "unknown";
      let outcome: "confirmed" | "failed" | "unknown" | undefined;
      if (readable && v.position === target) outcome = "confirmed";
      else if (tick >= a.deadlineTick) outcome = readable ? "failed" : "unknown";
      if (!outcome) continue;
      this.awaiting.delete(id);
      const detail: Record<string, unknown> = {
        by: "poll",
        ticks: tick - a.since,
        position: v.position,
        ...(outcome === "failed" ? { reason: `position is '${v.position}' ${tick - a.since} ticks after the write, expected '${target}'` } : {}),
        ...(outcome === "unknown" ? { reason: `device unreadable: ${v.staleReason ?? "no reading"}` } : {}),
      };
      this.commander.settle(id, outcome, detail);
      this.afterCommand({ id, element: a.op.element, device: a.device, action: a.op.action, outcome, detail, position: v.position, ms: 0 }, a.op);
    }
  }

  /** Try again to read the outcome of unknown commands, once their device reads again. */
  private async settleUnknown(switches: readonly SwitchView[]): Promise<void> {
    if (this.unknown.size === 0) return;
    for (const rec of [...this.unknown.values()]) {
      const v = switches.find((s) => s.device === rec.device);
      const device = this.devices.get(rec.device);
      if (!device || (v && (v.readFailed || v.position === "unknown"))) continue;
      const outcome = await this.commander.resolve(rec, device, this.d.site.config.poll.timeout_ms);
      if (outcome !== "unknown") {
        this.d.log.warn({ command: rec.id, element: rec.element, outcome }, "command with unknown outcome settled by reading the device");
        this.settled(rec, outcome);
      }
    }
    this.d.metrics.unresolvedCommands.set(this.unknown.size);
  }

  private settled(rec: CommandRecord, outcome: "confirmed" | "failed" | "unknown"): void {
    if (outcome === "unknown") {
      this.unknown.set(rec.id, rec);
      return;
    }
    this.unknown.delete(rec.id);
    if (outcome === "failed") this.trips.settled(rec.element);
    if (outcome === "confirmed") {
      if (rec.action === "close") this.ledger.closed(rec.element, rec.pickupKw);
      else this.ledger.opened(rec.element);
      this.d.journal.event("ledger", { committed: this.ledger.toJSON(), committed_kw: this.ledger.committedKw(), by: rec.id });
    }
  }

  // ------------------------------------------------------------ helpers

  private shieldInput(now: number, switches: readonly SwitchView[]): ShieldInput {
    const { site, bus } = this.d;
    const pendingOf = (element: string): SwitchContext["pending"] => {
      const inflight = this.inFlight.get(element);
      if (inflight) return { command_id: inflight, state: "written" };
      for (const [id, a] of this.awaiting) if (a.op.element === element) return { command_id: id, state: "written" };
      // A switch that did not move when told is not told again in this session: an operator looks first.
      const failed = this.failedInSession.get(element);
      if (failed) return { command_id: failed, state: "failed" };
      for (const c of this.unknown.values()) if (c.element === element) return { command_id: c.id, state: c.state };
      return null;
    };
    const context: SwitchContext[] = switches.map((v) => ({
      pending: pendingOf(v.element),
      lastOperationMs: this.lastOperation.get(v.element) ?? null,
      selectBeforeOperate: this.devices.get(v.device)?.commandKind("close") === "select-before-operate",
      hold: this.trips.holdOf(v.element),
    }));
    const committed = this.ledger.committedKw() + this.awaitingPickupKw();
    return buildShieldInput({
      now,
      microgrid: site.config.microgrid,
      switches,
      context,
      peers: bus ? bus.peers() : [],
      // A close written but not yet seen to take effect counts as committed already.
      // The bus's budget, never the site's static quota: quota lent to peers is theirs now.
      generation: bus ? bus.budget(committed, this.committedByElement()) : budget(site.quotaKw, committed, [], false),
      limits: this.limits,
      faultedSections: this.trips.suspectSections(),
      claims: bus ? bus.regionClaims() : { own: [], peers: [], bus_up: false },
    });
  }

  private positionsNow(switches: readonly SwitchView[]): [string, "open" | "closed" | "unknown"][] {
    return switches.map((v) => [v.element, v.stale ? "unknown" : (STATE_OF[v.position] ?? "unknown")]);
  }

  /**
   * Every tick in a session (replay needs each decision's inputs); while watching only when
   * something an operator would ask about changed (positions, device health, PCC, units' state)
   * and at least every journal.watch_interval_s: a day at 1 Hz would otherwise be ~0.5 GB.
   */
  private journalObservation(tick: number, now: number, switches: SwitchView[], units: UnitView[], pcc: PccView | undefined, states: ReadonlyMap<string, DeviceState>): void {
    const signature = JSON.stringify([
      switches.map((v) => [v.position, v.stale, v.lockout, v.fault, v.interlock]),
      units.map((u) => [u.connected, u.stale]),
      pcc ? [pcc.dead, pcc.stale] : null,
      [...states.values()].map((s) => s.error?.kind ?? "ok"),
    ]);
    const inSession = this.sessions.current !== undefined || this.sessions.pending();
    const due = this.lastObservation === undefined || now - this.lastObservation.at >= this.d.site.config.journal.watch_interval_s * 1000;
    if (!inSession && !due && signature === this.lastObservation?.signature) return;
    this.lastObservation = { at: now, signature };
    this.d.journal.observation(tick, { switches, units, pcc: pcc ?? null, devices: deviceSummary(states) });
  }

  private watchDevices(states: ReadonlyMap<string, DeviceState>): void {
    const { metrics, journal, log } = this.d;
    for (const st of states.values()) {
      metrics.deviceUp.set(st.error ? 0 : 1, { device: st.id });
      if (st.error && !this.failingDevices.has(st.id)) {
        this.failingDevices.add(st.id);
        metrics.alarms.inc({ kind: "device-unreadable" });
        journal.alarm("device-unreadable", { device: st.id, kind: st.error.kind, message: st.error.message });
        log.warn({ device: st.id, kind: st.error.kind, error: st.error.message }, "device unreadable: its switches hold");
      } else if (!st.error && this.failingDevices.delete(st.id)) {
        journal.event("device-recovered", { device: st.id });
        log.info({ device: st.id }, "device readable again");
      }
    }
  }

  // ------------------------------------------------------------ uncommanded changes

  /**
   * A switch that moved without a command of this agent: an alarm (journal and
   * bus), and the switch held until an operator releases it. Opened: it counts
   * as tripped and the sections it left without supply as faulted; its pick-up
   * stays committed in the ledger (re-energizing it after a patrol must still
   * fit). Closed: held (no operation), and the load it picked up committed.
   */
  private watchPositions(tick: number, now: number, switches: readonly SwitchView[]): void {
    const changes = this.trips.observe(switches);
    if (changes.length === 0) return;
    const { journal, metrics, log, bus, site } = this.d;
    const input = this.graphInput(now, switches);
    const session = this.sessions.current?.id ?? null;
    for (const ch of changes) {
      const k = this.names.indexOf(ch.element);
      const sections = ch.kind === "uncommanded-open" ? deenergizedBy(this.ix, input, k) : [];
      let pickup: number | undefined;
      if (ch.kind === "uncommanded-close") {
        pickup = Math.round(pickedUpBy(this.ix, input, k) * 1000) / 1000;
        this.ledger.opened(ch.element);
        this.ledger.closed(ch.element, pickup);
        journal.event("ledger", { committed: this.ledger.toJSON(), committed_kw: this.ledger.committedKw(), by: `${ch.kind} ${ch.element}` });
      }
      const hold: Omit<SwitchHold, "alarms"> = {
        element: ch.element,
        device: ch.device,
        kind: ch.kind,
        from: ch.from,
        to: ch.to,
        tick,
        at_ms: now,
        session,
        sections,
        ...(pickup !== undefined ? { pickup_kw: pickup } : {}),
      };
      const detail = {
        ...hold,
        microgrid: site.config.microgrid,
        lockout: ch.view.lockout,
        fault_indicator: ch.view.fault,
        current_a: ch.view.currentA ?? null,
        committed_kw: this.ledger.committedKw(),
      };
      const id = journal.alarm(ch.kind, detail);
      this.trips.hold({ ...hold, alarms: [id] });
      metrics.alarms.inc({ kind: ch.kind });
      metrics.switchHeld.set(1, { element: ch.element, kind: ch.kind });
      bus?.alarm(ch.kind, "critical", detail);
      log.error(
        detail,
        ch.kind === "uncommanded-open"
          ? `${ch.element} opened without a command: counted tripped, ${sections.length ? `sections ${sections.join(", ")} counted faulted, ` : ""}held until an operator releases it`
          : `${ch.element} closed without a command: held (no operation), ${pickup} kW committed, until an operator releases it`,
      );
    }
  }

  /** The shield's input for questions on the graph alone (what a trip left dead, what a close picked up): no budget asked of the bus. */
  private graphInput(now: number, switches: readonly SwitchView[]): ShieldInput {
    const bus = this.d.bus;
    return buildShieldInput({
      now,
      microgrid: this.d.site.config.microgrid,
      switches,
      context: switches.map(() => ({ pending: null, lastOperationMs: null, selectBeforeOperate: false })),
      peers: bus ? bus.peers() : [],
      generation: budget(0, 0, [], false),
      limits: this.limits,
    });
  }

  /** Operator releases queued since the last tick: the hold goes, its alarms are cleared. */
  private applyReleases(tick: number): void {
    const { journal, metrics, log } = this.d;
    for (const c of this.releases.splice(0)) {
      const r = this.releasable(c.element ?? "");
      if ("error" in r) {
        journal.event("release-ignored", { element: c.element ?? null, by: c.by, reason: c.reason ?? null, why: r.detail });
        log.warn({ element: c.element, by: c.by, why: r.detail }, "release ignored");
        continue;
      }
      this.trips.release(r.element);
      for (const id of r.hold.alarms) journal.clearAlarm(id);
      // Still open: its load is no longer served (a new close of it commits its pick-up again).
      if (this.lastKnown.get(r.element) === "open") {
        this.ledger.opened(r.element);
        journal.event("ledger", { committed: this.ledger.toJSON(), committed_kw: this.ledger.committedKw(), by: `release ${r.element}` });
      }
      metrics.switchHeld.set(0, { element: r.element, kind: r.hold.kind });
      journal.event("switch-released", { element: r.element, kind: r.hold.kind, tick, by: c.by, reason: c.reason ?? null, alarms: r.hold.alarms, sections: r.hold.sections });
      log.warn({ element: r.element, kind: r.hold.kind, by: c.by, reason: c.reason }, "held switch released by an operator");
    }
  }

  /** Holds survive a restart: every uncommanded-change alarm not cleared holds its switch again. */
  private restoreHolds(): void {
    const { journal, metrics, log } = this.d;
    for (const a of journal.activeAlarms()) {
      if (!(HOLD_KINDS as readonly string[]).includes(a.kind)) continue;
      const d = a.detail as Partial<SwitchHold>;
      const element = this.names.find((n) => canonicalElement(n) === canonicalElement(String(d.element ?? "")));
      if (!element) continue;
      const h = this.trips.hold({
        element,
        device: String(d.device ?? ""),
        kind: a.kind as HoldKind,
        from: d.from === "closed" ? "closed" : "open",
        to: d.to === "closed" ? "closed" : "open",
        tick: Number(d.tick ?? 0),
        at_ms: Number(d.at_ms ?? 0),
        session: typeof d.session === "string" ? d.session : null,
        sections: Array.isArray(d.sections) ? d.sections.map(String) : [],
        ...(typeof d.pickup_kw === "number" ? { pickup_kw: d.pickup_kw } : {}),
        alarms: [a.id],
      });
      metrics.switchHeld.set(1, { element, kind: h.kind });
      log.warn({ element, kind: h.kind, alarm: a.id }, "switch still held from before the restart (alarm not cleared): release it once it is safe");
    }
  }

  private onSessionChange(ch: SessionChange): void {
    const { journal, log, metrics, policy } = this.d;
    if (ch.kind === "started") {
      policy.reset();
      this.failedInSession.clear();
      // Quota lent in an earlier outage comes back once nothing it funded is served any more.
      if (this.d.bus?.renewQuota(`restoration session ${ch.session.id}`)) log.info({ session: ch.session.id, quota_kw: this.d.bus.quota() }, "static quota renewed");
      metrics.sessions.inc({ trigger: ch.session.trigger });
      journal.sessionStarted(ch.session.id, ch.session.reason, { trigger: ch.session.trigger, by: ch.session.by, length: ch.session.length });
      log.info({ session: ch.session.id, trigger: ch.session.trigger, by: ch.session.by, reason: ch.session.reason, length: ch.session.length }, "restoration session started");
    } else {
      journal.sessionEnded(ch.session.id, ch.outcome, { steps: ch.session.step, served_kw: this.ledger.committedKw() });
      log.info({ session: ch.session.id, outcome: ch.outcome, steps: ch.session.step, served_kw: this.ledger.committedKw() }, "restoration session ended");
    }
  }

  /**
   * The switches as the peers must count them: the positions read at the
   * start of the tick, moved by the commands confirmed since, and `unknown`
   * where a command is written but its outcome not yet seen (it may have
   * moved already). Publishing the read alone would show peers a switch
   * closed this tick as open for one more tick, and a peer's close would then
   * pick up through it uncounted, or parallel two islands.
   */
  private publishedSwitches(report: TickReport): Record<string, "open" | "closed" | "unknown"> {
    const out: Record<string, "open" | "closed" | "unknown"> = {};
    for (const [e, st] of Object.entries(report.switches)) out[canonicalElement(e)] = st as "open" | "closed" | "unknown";
    for (const c of report.decision?.commands ?? []) if (c.outcome === "confirmed") out[canonicalElement(c.element)] = targetOf(c.action);
    for (const a of this.awaiting.values()) out[canonicalElement(a.op.element)] = "unknown";
    for (const c of this.unknown.values()) out[canonicalElement(c.element)] = "unknown";
    return out;
  }

  private async publish(report: TickReport, switches: readonly SwitchView[]): Promise<void> {
    const bus = this.d.bus;
    if (!bus) return;
    const s = this.sessions.current;
    const state: AgentStatePayload = {
      tick: report.tick,
      session: { active: s !== undefined, id: s?.id ?? null, step: s?.step ?? 0, length: s?.length ?? this.d.site.config.session.episode_length },
      switches: this.publishedSwitches(report),
      served_kw: this.ledger.committedKw(),
      quota_kw: bus.quota(),
      committed_kw: this.ledger.committedKw(),
      committed_by_element: this.ledger.toJSON(),
      health: this.unknown.size > 0 ? "holding" : switches.some((v) => v.stale) || this.trips.holds().length > 0 ? "degraded" : "ok",
      ...(this.trips.holds().length
        ? { holds: this.trips.holds().map((h) => ({ element: canonicalElement(h.element), kind: h.kind, sections: h.sections, tick: h.tick })) }
        : {}),
    };
    try {
      await bus.publishState(state);
    } catch (e) {
      this.d.log.warn({ error: (e as Error).message }, "could not publish state on the bus");
    }
  }
}

/** Position a command moves a switch to. */
function targetOf(action: string): "open" | "closed" {
  return action === "close" ? "closed" : "open";
}

function bindingOf(site: Site, element: string): string {
  for (const [key, b] of Object.entries(site.config.bindings)) {
    if (canonicalElement(key) === element) return b.device;
  }
  throw new Error(`no binding for ${element}`);
}

function deviceSummary(states: ReadonlyMap<string, DeviceState>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const st of states.values()) out[st.id] = st.error ? { error: st.error.kind, message: st.error.message, values: st.snapshot?.values ?? null } : { at: st.snapshot?.at ?? null, values: st.snapshot?.values ?? null };
  return out;
}

/**
 * The most preferred close vetoed for want of a claim (rule region-claim: no
 * claim held, or one about to end) and otherwise only, if at all, for
 * generation: its region and the competing switches, as the claim asks them.
 */
function claimWanted(verdicts: readonly Verdict[]): { element: string; region: string[]; switches: Record<string, "open" | "unknown"> } | undefined {
  for (const v of verdicts) {
    if (v.rule !== "region-claim" || v.action !== "close" || (v.values.reason !== "no-claim" && v.values.reason !== "claim-expiring")) continue;
    if (verdicts.some((o) => o.index === v.index && o.action === "close" && o.rule !== "region-claim" && o.rule !== "generation")) continue;
    const region = v.values.region;
    const competitors = v.values.competitors;
    if (!Array.isArray(region) || !Array.isArray(competitors)) continue;
    // A region too large to list whole cannot be claimed: the close stays refused.
    if (typeof v.values.region_sections === "number" && v.values.region_sections > region.length) continue;
    const states = Array.isArray(v.values.competitor_states) ? (v.values.competitor_states as readonly string[]) : [];
    const switches: Record<string, "open" | "unknown"> = {};
    (competitors as readonly string[]).forEach((c, i) => (switches[canonicalElement(c.slice(0, c.lastIndexOf("@")))] = states[i] === "unknown" ? "unknown" : "open"));
    return { element: v.element, region: [...(region as readonly string[])], switches };
  }
  return undefined;
}
