// The token of an emailed link: ?token=… (the contract's paths) or #token=… (kept out of server
// logs and Referer; the password-reset email uses the fragment).
export function linkToken(): string {
  const fromQuery = new URLSearchParams(window.location.search).get("token");
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("token");
  return fromQuery ?? fromHash ?? "";
}
