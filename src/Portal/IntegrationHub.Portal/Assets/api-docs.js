// One system's documentation in Swagger UI. The document is read with the portal session; every tried-out call goes
// through the hub with the client token the person entered under Authorize, and never with the session's cookie.
import { say, t } from './portal.js';

const root = document.getElementById('swagger-ui');
if (typeof window.SwaggerUIBundle !== 'function') {
  say('docs-message', new Error(t('Api.NoSwagger')));
} else {
  window.SwaggerUIBundle({
    url: root.dataset.document,
    dom_id: '#swagger-ui',
    deepLinking: false,
    validatorUrl: null,
    persistAuthorization: false,
    requestInterceptor: request => {
      if (!request.loadSpec) {
        request.credentials = 'omit';
      }
      return request;
    },
    onComplete: () => root.setAttribute('data-ready', 'true'),
  });
}
