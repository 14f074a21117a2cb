#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx's loader, so a fresh
// `npm install` is all a machine needs (no build step to forget).
import { register } from "tsx/esm/api";
register();
await import("../cli/main.ts");
