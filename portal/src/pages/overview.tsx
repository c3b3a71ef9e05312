// Overview: this month's cost so far and the forecast (GET /v1/cost/forecast).
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api.ts";
import { ErrorState, Loading } from "../components/states.tsx";

export default function Overview() {
  const forecast = useQuery({
    queryKey: ["cost", "forecast"],
    queryFn: () => unwrap(api.GET("/v1/cost/forecast")),
  });
  return (
    <>
      <h1>Overview</h1>
      {forecast.isPending ? (
        <Loading />
      ) : forecast.error ? (
        <ErrorState error={forecast.error} />
      ) : (
        <pre>{JSON.stringify(forecast.data, null, 2)}</pre>
      )}
    </>
  );
}
