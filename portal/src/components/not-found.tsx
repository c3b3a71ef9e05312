import { Link } from "@tanstack/react-router";

export function NotFound() {
  return (
    <main id="main" className="narrow">
      <h1>Page not found</h1>
      <p>
        There is no page here. <Link to="/overview">Go to the overview</Link>.
      </p>
    </main>
  );
}
