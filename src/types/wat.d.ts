/**
 * Modules named `*.wat.mjs` export WebAssembly text; the build (esbuild.mjs) compiles it to binary
 * and the import yields the module's bytes.
 */
declare module '*.wat.mjs' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}
