/** The sessionStorage key of the tab's API token (shared by the dashboard and the API reference page). */
export const TOKEN_STORAGE_KEY = 'ingest.api-token';
