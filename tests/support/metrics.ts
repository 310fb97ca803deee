/** Reads one sample from the server's /metrics, e.g. `videoapp_messages_rejected_total{reason="bad-origin"}`; 0 when absent. */
export async function metricValue(serverUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

export async function metricsText(serverUrl: string): Promise<string> {
  return (await fetch(`${serverUrl}/metrics`)).text();
}
