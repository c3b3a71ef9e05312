// Tenant tables as the catalog describes them: every public table with a customer_id column,
// plus customers itself (keyed on id). Tests use this so a table added later is covered.
import { asOwner } from "./database.ts";

export interface TenantTable {
  name: string;
  key: string;
  enabled: boolean;
  forced: boolean;
  policies: { cmd: string; roles: string[]; qual: string | null; check: string | null; permissive: boolean }[];
  leading_index: boolean;
}

export async function tenantTables(): Promise<TenantTable[]> {
  const { rows } = await asOwner((client) =>
    client.query(`
      SELECT c.relname AS name,
             CASE WHEN c.relname = 'customers' THEN 'id' ELSE 'customer_id' END AS key,
             c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
             coalesce((SELECT json_agg(json_build_object(
                 'cmd', p.polcmd, 'permissive', p.polpermissive,
                 'roles', (SELECT coalesce(array_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END), '{}') FROM unnest(p.polroles) r),
                 'qual', pg_get_expr(p.polqual, p.polrelid), 'check', pg_get_expr(p.polwithcheck, p.polrelid)))
               FROM pg_policy p WHERE p.polrelid = c.oid), '[]') AS policies,
             EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                     WHERE i.indrelid = c.oid
                       AND a.attname = CASE WHEN c.relname = 'customers' THEN 'id' ELSE 'customer_id' END) AS leading_index
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND (c.relname = 'customers' OR EXISTS (
          SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped))
      ORDER BY 1`),
  );
  return rows as unknown as TenantTable[];
}
