// A real OpenID Connect provider for bonemet's login tests: panva/oidc-provider (OpenID certified),
// with one confidential client and a few accounts whose `roles` claim carries directory groups
// (mapped to bonemet roles by the server's BONEMET_ROLE_MAP, as docs/deploy.md configures it).
// Usage: node server.mjs <port> <client_id> <client_secret> <redirect_uri>
// Login interaction: GET /interaction/:uid shows a form; POST /interaction/:uid/login with
// login=<account id> signs that account in (no password: the accounts are test fixtures);
// consent is granted automatically for the scopes the client asked.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  alice: { name: "Alice Reader", roles: ["bonemet-readers"] },
  bob: { name: "Bob Editor", roles: ["bonemet-editors"] },
  carol: { name: "Carol Admin", roles: ["bonemet-admins"] },
  mallory: { name: "Mallory Nobody", roles: [] },
  // A group named like a bonemet role but absent from the role map: grants nothing (issue 22).
  trudy: { name: "Trudy Groupname", roles: ["administrator", "editor", "reader"] },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  claims: { openid: ["sub"], profile: ["name"], roles: ["roles"] },
  scopes: ["openid", "profile", "roles"],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ["bonemet-test-cookie-key"] },
  async findAccount(ctx, id) {
    if (!ACCOUNTS[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...ACCOUNTS[id] }; } };
  },
  interactions: { url(ctx, interaction) { return `/interaction/${interaction.uid}`; } },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === "GET" && !m[2]) {
    if (details.prompt.name === "login") {
      ctx.type = "html";
      ctx.body = `<form method="post" action="/interaction/${details.uid}/login">
        <input name="login"><button>Sign in</button></form>`;
      return;
    }
    // consent: grant what was asked, then go on
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (ctx.method === "POST" && m[2]) {
    const raw = await new Promise((resolve) => {
      let data = "";
      ctx.req.on("data", (c) => { data += c; });
      ctx.req.on("end", () => resolve(data));
    });
    const login = new URLSearchParams(raw).get("login");
    if (!ACCOUNTS[login]) {
      ctx.status = 403;
      ctx.body = "unknown account";
      return;
    }
    return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  return next();
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
