// The few options of swagger-ui-dist's bundle this page uses (the package ships no types).
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  type SwaggerRequest = { url: string; headers: Record<string, string> };
  type Options = {
    url: string;
    dom_id: string;
    deepLinking?: boolean;
    validatorUrl?: string | null;
    withCredentials?: boolean;
    requestInterceptor?: (request: SwaggerRequest) => SwaggerRequest;
  };
  const SwaggerUI: (options: Options) => unknown;
  export default SwaggerUI;
}
