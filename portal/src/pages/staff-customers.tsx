// Staff console, customers (super_admin): every customer with its tier, status, past-due mark and
// data jurisdiction, and the onboarding form (the first admin is invited by email).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { day } from "../components/money.ts";
import { SelectField, TIERS, tierLabel } from "../components/staff-forms.tsx";
import { StaffNav } from "../components/staff-nav.tsx";
import { ListState } from "../components/states.tsx";

type Onboard = components["schemas"]["CreateCustomerRequest"];
type Tier = Onboard["tier"];
type Jurisdiction = NonNullable<Onboard["data_jurisdiction"]>;
const JURISDICTIONS: Jurisdiction[] = ["us", "eu", "fedramp"];

export default function StaffCustomers() {
  const customers = useQuery({
    queryKey: ["staff", "customers"],
    queryFn: async () => (await unwrap(api.GET("/v1/admin/customers", { params: { query: { limit: 100 } } }))).data,
  });
  return (
    <>
      <StaffNav />
      <h1>Customers</h1>
      <OnboardForm />
      <section aria-labelledby="customers-heading">
        <h2 id="customers-heading">All customers</h2>
        <ListState query={customers} empty="No customers yet.">
          {(rows) => (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Every customer, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Tier</th>
                    <th scope="col">Status</th>
                    <th scope="col">Past due</th>
                    <th scope="col">Jurisdiction</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((c) => (
                    <tr key={c.id} data-testid="customer-row">
                      <td>
                        <Link to="/staff/customers/$id" params={{ id: c.id }}>
                          {c.name}
                        </Link>
                      </td>
                      <td>{tierLabel(c.tier)}</td>
                      <td>
                        <span className={`badge customer-${c.status}`}>{c.status}</span>
                      </td>
                      <td>{c.past_due_since ? `since ${day(c.past_due_since)}` : "no"}</td>
                      <td>{c.data_jurisdiction.toUpperCase()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </ListState>
      </section>
    </>
  );
}

function OnboardForm() {
  const queryClient = useQueryClient();
  const [tier, setTier] = useState<Tier>("standard");
  const [jurisdiction, setJurisdiction] = useState<Jurisdiction | "">("");
  const onboard = useMutation({
    mutationFn: (body: Onboard) => unwrap(api.POST("/v1/admin/customers", { body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["staff", "customers"] }),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    onboard.mutate({
      name: String(form.get("name")),
      email: String(form.get("email")),
      tier,
      tax_rate_bps: 800,
      ...(jurisdiction ? { data_jurisdiction: jurisdiction } : {}),
      admin: { email: String(form.get("admin_email")) },
    });
  }
  const done = onboard.data;
  return (
    <section aria-labelledby="onboard-heading">
      <h2 id="onboard-heading">Onboard a customer</h2>
      <form className="panel" onSubmit={submit} aria-labelledby="onboard-heading">
        <Field label="Organization name" name="name" required error={onboard.error} />
        <Field label="Billing email" name="email" type="email" required error={onboard.error} />
        <SelectField
          label="Tier"
          value={tier}
          options={TIERS.map((t) => ({ value: t, label: tierLabel(t) }))}
          onChange={(value) => setTier(value as Tier)}
          field="body.tier"
          error={onboard.error}
        />
        <SelectField
          label="Data jurisdiction"
          value={jurisdiction}
          options={[
            { value: "", label: "Default (FedRAMP for Gov Federal, else US)" },
            ...JURISDICTIONS.map((j) => ({ value: j, label: j.toUpperCase() })),
          ]}
          onChange={(value) => setJurisdiction(value as Jurisdiction | "")}
          field="body.data_jurisdiction"
          error={onboard.error}
        />
        <Field
          label="First admin's email (invited)"
          name="admin_email"
          field="body.admin.email"
          type="email"
          required
          error={onboard.error}
        />
        <FormError
          error={onboard.error}
          fields={["body.name", "body.email", "body.tier", "body.data_jurisdiction", "body.admin.email"]}
        />
        <button type="submit" disabled={onboard.isPending}>
          Onboard customer
        </button>
        {done && !onboard.isPending ? (
          <p role="status">
            {done.customer.name} is onboarded; an invite went to {done.admin_invite.email}.
          </p>
        ) : null}
      </form>
    </section>
  );
}
