// The staff console's own navigation (super_admin pages; docs/portal.md, "Staff console"): one
// row of links on every staff page, the current one marked for screen readers too.
import { Link } from "@tanstack/react-router";

const STAFF_PAGES = [
  { to: "/staff/queue", label: "Queue" },
  { to: "/staff/customers", label: "Customers" },
  { to: "/staff/billing-runs", label: "Billing runs" },
  { to: "/staff/status", label: "Status" },
] as const;

export function StaffNav() {
  return (
    <nav aria-label="Staff console" className="staff-nav">
      <ul>
        {STAFF_PAGES.map((page) => (
          <li key={page.to}>
            <Link to={page.to} activeProps={{ "aria-current": "page", className: "active" }}>
              {page.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
