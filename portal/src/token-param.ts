// The token of an emailed link: ?token=… as the emails write it (the page is a static asset, so no
// Worker logs the query, and index.html sends no Referer), or #token=… from older links.
export function linkToken(): string {
  const fromQuery = new URLSearchParams(window.location.search).get("token");
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("token");
  return fromQuery ?? fromHash ?? "";
}
