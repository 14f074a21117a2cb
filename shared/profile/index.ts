// Hardware profiles: schema, standard channels, point codec, loading,
// SunSpec discovery and read planning. See docs/profiles.md.
export * from "./schema.js";
export * from "./channels.js";
export * from "./codec.js";
export * from "./errors.js";
export * from "./load.js";
export * from "./plan.js";
export * from "./resolve.js";
export * from "./sunspec.js";
export * from "./units.js";
