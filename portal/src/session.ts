// Who is signed in: GET /v1/me (the cookie session), cached by react-query under ["me"]. Its
// permissions drive role gating: what the role may not do is not offered (docs/portal.md).
import { useQuery } from "@tanstack/react-query";
import type { components } from "../../client/securebase.ts";
import { api, setCsrfToken, unwrap } from "./api.ts";

export type Me = components["schemas"]["Me"];

export const meQuery = {
  queryKey: ["me"] as const,
  queryFn: async (): Promise<Me> => {
    const me = await unwrap(api.GET("/v1/me"));
    setCsrfToken(me.csrf_token);
    return me;
  },
  retry: false,
  staleTime: 60_000,
};

export const useMe = () => useQuery(meQuery);

export const can = (me: Me | undefined, permission: string) => Boolean(me?.permissions.includes(permission));
