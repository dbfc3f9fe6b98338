import type { Health } from "../health/health.ts";

/** The health report as JSON: 200 when healthy, 503 when a required check fails. */
export async function healthResponse(health: Health): Promise<Response> {
  const report = await health.report();
  return new Response(
    JSON.stringify({ status: report.healthy ? "ok" : "unhealthy", checks: report.checks }),
    {
      status: report.healthy ? 200 : 503,
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    },
  );
}
