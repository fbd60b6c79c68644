/** Binary protobuf files imported as Data modules (wrangler.toml `rules`): their bytes. */
declare module '*.binpb' {
  const bytes: ArrayBuffer;
  export default bytes;
}
