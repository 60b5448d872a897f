// The API reference at /api/docs: Swagger UI bundled from npm (no CDN, no
// inline script, so it works offline and under the server's CSP), reading the
// live /api/openapi.json. A separate Vite entry keeps it out of the dashboard's bundle.
import SwaggerUI from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';
import { TOKEN_STORAGE_KEY } from '@/lib/auth/storage-key';

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

SwaggerUI({
  url: '/api/openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  // The default validator is an image loaded from validator.swagger.io: nothing leaves this server.
  validatorUrl: null,
  // "Try it out" uses the token this tab signed in with on the dashboard, unless one was entered here.
  requestInterceptor: (request) => {
    const token = storedToken();
    if (token && !request.headers.Authorization) request.headers.Authorization = `Bearer ${token}`;
    return request;
  },
});
