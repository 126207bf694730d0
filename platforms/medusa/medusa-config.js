// The test shop's Medusa config: PostgreSQL from run-tests.sh (DATABASE_URL), no admin build, no Redis, and
// the Shoppingfeed plugin pointed at the sandbox the tests start (URL, token and store id through the environment).
const { defineConfig } = require('@medusajs/framework/utils');

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    http: {
      storeCors: 'http://127.0.0.1',
      adminCors: 'http://127.0.0.1',
      authCors: 'http://127.0.0.1',
      jwtSecret: process.env.JWT_SECRET || 'test-jwt-secret',
      cookieSecret: process.env.COOKIE_SECRET || 'test-cookie-secret',
    },
  },
  admin: { disable: true },
  plugins: [
    {
      resolve: 'shoppingfeed-orders/medusa',
      options: {
        token: process.env.SHOPPINGFEED_TOKEN,
        storeId: Number(process.env.SHOPPINGFEED_STORE_ID) || undefined,
        apiUrl: process.env.SHOPPINGFEED_API_URL,
        everyMinutes: Number(process.env.SHOPPINGFEED_EVERY_MINUTES) || 10,
        autoAccept: true,
        importFulfilled: true,
        trackingUrlTemplates: {
          Colissimo: 'https://www.laposte.fr/outils/suivre-vos-envois?code={trackingNumber}',
          DHL: 'https://www.dhl.com/fr-fr/home/suivi.html?tracking-id={trackingNumber}',
        },
      },
    },
  ],
});
