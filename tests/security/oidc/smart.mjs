// The EHR's authorization server for bonemet's SMART App Launch 2.0 tests: the same real provider
// as server.mjs (panva/oidc-provider 8.8.1), configured with SMART launch context. server.mjs stays
// the hospital sign-in of the login tests; this file is the EHR side.
//
// Usage: node smart.mjs <port> <client_id> <client_secret> <redirect_uri> <fhir_base> <launches_json> [jwks]
//   launches_json: {"<launch id>": "<patient id>"}: the launch ids the "EHR" handed out (EHR launch).
//   jwks: the public keys of the client `<client_id>-jwt` (private_key_jwt client authentication).
//
// What it adds to a plain OpenID provider, as SMART App Launch 2.0 asks:
// * the `launch` (and `aud`) authorization parameters; `launch` is resolved to a patient;
// * standalone launch: with `launch/patient` and no `launch`, a patient picker after sign-in;
// * SMART v2 scopes (patient/<Type>.rs, launch, launch/patient) granted for the FHIR server as a
//   resource (access tokens are JWTs for that audience, carrying `patient` and `scope`);
// * `patient` in the token response, `fhirUser` in the ID token (scope fhirUser);
// * PKCE S256 required; consent asked on every launch (a deny button answers access_denied).
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri, fhirBase, launchesJson, keyClientJwks] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const LAUNCHES = JSON.parse(launchesJson || "{}");

const ACCOUNTS = {
  bob: { name: "Bob Clinician", fhirUser: `${fhirBase}/Practitioner/prac-bob` },
  dora: { name: "Dora Oncologist", fhirUser: `${fhirBase}/Practitioner/prac-dora` },
  // Review 26 F14: users who are not clinicians (a patient portal's standalone launch), and an
  // account the EHR sends without fhirUser: bonemet must not give them its SMART role.
  paula: { name: "Paula Patient", fhirUser: `${fhirBase}/Patient/lung-1` },
  rene: { name: "Rene Relative", fhirUser: "RelatedPerson/rel-1" },
  pierre: { name: "Pierre Person", fhirUser: `${fhirBase}/Person/person-1` },
  nora: { name: "Nora Nobody" },
  rita: { name: "Rita Role", fhirUser: "PractitionerRole/role-rita" },
};
const RESOURCE_SCOPES = ["launch", "launch/patient", "patient/*.rs", ...[
  "Patient", "Condition", "Observation", "MedicationRequest", "MedicationAdministration",
  "MedicationStatement", "Procedure", "DiagnosticReport", "ImagingStudy", "ServiceRequest",
  "Encounter", "BodyStructure", "Medication"].map((t) => `patient/${t}.rs`), "patient/*.cruds", "user/*.rs"];
const PATIENT_OF_GRANT = new Map(); // grant id -> patient id chosen at consent

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_basic",
  },
  // Review 26 F14: the same app registered as a SMART asymmetric ("private_key_jwt") client: the
  // provider verifies bonemet's client assertion with this public JWK Set.
  ...(keyClientJwks ? [{
    client_id: `${clientId}-jwt`,
    redirect_uris: [redirectUri],
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "RS384",
    jwks: JSON.parse(keyClientJwks),
  }] : [])],
  claims: { openid: ["sub"], profile: ["name"], fhirUser: ["fhirUser"] },
  scopes: ["openid", "profile", "fhirUser"], // the SMART scopes are the FHIR server's (below)
  extraParams: ["launch", "aud"],
  // SMART asks servers to accept RS384 and ES384 client assertions (oidc-provider's defaults lack them)
  enabledJWA: { clientAuthSigningAlgValues: ["RS256", "RS384", "ES256", "ES384", "PS256", "EdDSA"] },
  conformIdTokenClaims: false,
  pkce: { required: () => true, methods: ["S256"] },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => fhirBase,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== fhirBase) throw new Error(`unknown resource ${resource}`);
        return { scope: RESOURCE_SCOPES.join(" "), audience: fhirBase, accessTokenFormat: "jwt",
                 accessTokenTTL: 300, jwt: { sign: { alg: "RS256" } } };
      },
    },
  },
  // Consent on every launch (each launch names its own patient): only the grant of this
  // authorization's own consent is loaded, never an earlier one of the same account.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId;
    return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
  },
  ttl: { AuthorizationCode: 30 },
  async extraTokenClaims(ctx, token) {
    const patient = PATIENT_OF_GRANT.get(token.grantId);
    return patient ? { patient } : undefined;
  },
  cookies: { keys: ["bonemet-smart-test-cookie-key"] },
  async findAccount(ctx, id) {
    if (!ACCOUNTS[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...ACCOUNTS[id] }; } };
  },
  interactions: { url(ctx, interaction) { return `/interaction/${interaction.uid}`; } },
});
provider.proxy = false;

function readBody(req) {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (c) => { data += c; });
    req.on("end", () => resolve(new URLSearchParams(data)));
  });
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function grantFor(details, patient) {
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const asked = String(details.params.scope || "").split(" ").filter(Boolean);
  grant.addOIDCScope(asked.filter((s) => ["openid", "profile", "fhirUser"].includes(s)).join(" "));
  grant.addResourceScope(fhirBase, asked.filter((s) => RESOURCE_SCOPES.includes(s)).join(" "));
  const grantId = await grant.save();
  if (patient) PATIENT_OF_GRANT.set(grantId, patient);
  return grantId;
}

// Patient in the token response (SMART: `patient` beside `access_token`), read from the JWT.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === "/token" && ctx.body && typeof ctx.body.access_token === "string") {
    const payload = JSON.parse(Buffer.from(ctx.body.access_token.split(".")[1], "base64url").toString());
    if (payload.patient) ctx.body = { ...ctx.body, patient: payload.patient };
  }
});

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login|\/consent)?$/);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === "GET" && !m[2]) {
    if (details.prompt.name === "login") {
      ctx.type = "html";
      ctx.body = `<form method="post" action="/interaction/${details.uid}/login">
        <label>Account <input name="login"></label><button>Sign in</button></form>`;
      return;
    }
    const launch = details.params.launch;
    const scopes = String(details.params.scope || "").split(" ");
    let patient = "";
    if (launch) {
      patient = LAUNCHES[launch];
      if (!patient) {
        return provider.interactionFinished(ctx.req, ctx.res, { error: "invalid_request",
          error_description: "unknown launch" }, { mergeWithLastSubmission: false });
      }
    }
    const picker = !launch && scopes.includes("launch/patient")
      ? `<label>Patient <input name="patient"></label>` : "";
    ctx.type = "html";
    ctx.body = `<h1>EHR consent</h1><p>bonemet asks: ${escape(details.params.scope)}</p>
      <form method="post" action="/interaction/${details.uid}/consent">
        <input type="hidden" name="launch_patient" value="${escape(patient)}">${picker}
        <button name="decision" value="allow">Allow</button>
        <button name="decision" value="deny">Deny</button></form>`;
    return;
  }
  if (ctx.method === "POST" && m[2] === "/login") {
    const login = (await readBody(ctx.req)).get("login");
    if (!ACCOUNTS[login]) {
      ctx.status = 403;
      ctx.body = "unknown account";
      return;
    }
    return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (ctx.method === "POST" && m[2] === "/consent") {
    const form = await readBody(ctx.req);
    if (form.get("decision") !== "allow") {
      return provider.interactionFinished(ctx.req, ctx.res, { error: "access_denied",
        error_description: "the user denied access" }, { mergeWithLastSubmission: false });
    }
    const patient = form.get("launch_patient") || form.get("patient") || "";
    const grantId = await grantFor(details, patient);
    return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  return next();
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`SMART authorization server listening on ${issuer}`);
});
