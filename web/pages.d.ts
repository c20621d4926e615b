// A page imports its stylesheets for esbuild to bundle (build.mjs): no value.
declare module '*.css';
