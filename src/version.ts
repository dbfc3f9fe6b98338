import pkg from "../package.json" with { type: "json" };

/** Set at release build time (`--define`); a plain checkout reports the package version. */
declare const SKIFF_COMMIT: string | undefined;

export const version: string = pkg.version;
export const commit: string = typeof SKIFF_COMMIT === "string" ? SKIFF_COMMIT : "dev";
