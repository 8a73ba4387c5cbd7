/** Where the APIs and the Cognito pool are: read once from ./config.json (no secret in it). */
export interface Config {
  rest_url: string;
  ws_url: string;
  region: string;
  cognito: { user_pool_id: string; client_id: string; endpoint?: string };
  /** whether the stage runs with search (absent: without) */
  search?: boolean;
}

export async function loadConfig(): Promise<Config> {
  const response = await fetch("./config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = (await response.json()) as Config;
  config.rest_url = config.rest_url.replace(/\/$/, "");
  return config;
}

export function cognitoEndpoint(config: Config): string {
  return config.cognito.endpoint || `https://cognito-idp.${config.region}.amazonaws.com/`;
}
