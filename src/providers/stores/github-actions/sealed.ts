// GitHub takes a secret only as a libsodium sealed box (crypto_box_seal) to the public key it gives
// for the repository, environment or organization. libsodium-wrappers (by libsodium's author) is loaded
// only when a plan publishes to GitHub.
export async function seal(value: string, publicKeyBase64: string): Promise<string> {
  const sodium = (await import('libsodium-wrappers')).default;
  await sodium.ready;
  const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), key);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}
