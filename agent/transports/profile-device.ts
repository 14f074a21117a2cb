// What every profile-driven device does the same way, whatever the wire:
// turn its points' decoded values into the standard channels (a value out of
// its point's limits is kept but flagged; one that cannot be decoded is left
// out and flagged), and pick the writes of a command's step.
import { channelValue, checkLimits, type PointValue, type ResolvedPoint, type ResolvedProfile, type Write } from "../../shared/profile/index.js";
import { DeviceFault, type ChannelValue, type CommandStep } from "./device.js";

/** `decode` gives a point's engineering value, null when not implemented or unreadable; it may throw on nonsense. */
export function channelsOf(resolved: ResolvedProfile, decode: (p: ResolvedPoint) => PointValue | null): { values: Record<string, ChannelValue>; invalid: string[] } {
  const values: Record<string, ChannelValue> = {};
  const invalid = new Set<string>();
  for (const ch of resolved.channels.values()) {
    let v: ChannelValue | null = null;
    try {
      const raw = decode(ch.point);
      if (typeof raw === "number" && checkLimits(ch.point, raw)) invalid.add(ch.id);
      v = channelValue(ch, raw);
    } catch {
      v = null;
    }
    if (v === null) invalid.add(ch.id);
    else values[ch.id] = v;
  }
  return { values, invalid: [...invalid] };
}

/** The writes of one step of a command: a direct command has only `operate`; select-before-operate has select, operate, cancel. */
export function commandWrites(resolved: ResolvedProfile, device: string, name: string, step: CommandStep): Write[] {
  const cmd = resolved.commands.get(name);
  if (!cmd) throw new DeviceFault(device, "unsupported", `profile ${resolved.id} has no command '${name}'`);
  if (cmd.kind === "direct") {
    if (step !== "operate") throw new DeviceFault(device, "unsupported", `command '${name}' is a direct write: it has no ${step} step`);
    return cmd.writes;
  }
  if (step === "cancel") {
    if (!cmd.cancel) throw new DeviceFault(device, "unsupported", `command '${name}' has no cancel`);
    return [cmd.cancel];
  }
  return [step === "select" ? cmd.select : cmd.operate];
}
