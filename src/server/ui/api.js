// The server's API as the page uses it: JSON requests, and errors turned into what the page shows
// (the field a 422 or 404 names, and its message).

export class ApiError extends Error {
  // field: "steps", "override_settings.forge_unet_storage_dtype" ... or "" when none is named.
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

// FastAPI's 422 ({"detail": [{"loc": ["body", "steps"], "msg": ...}]}) and fluxgen's other errors
// ({"detail": "...", "field": "..."}) as an ApiError.
export function errorFromAnswer(status, body) {
  if (body && Array.isArray(body.detail) && body.detail.length) {
    const first = body.detail[0];
    const loc = Array.isArray(first.loc) ? first.loc.filter((p, i) => !(i === 0 && p === "body")) : [];
    return new ApiError(status, String(first.msg ?? "invalid value"), loc.join("."));
  }
  if (body && typeof body.detail === "string") return new ApiError(status, body.detail, body.field ?? "");
  return new ApiError(status, `the server answered ${status}`, "");
}

async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `cannot reach the server (${e.message})`, "");
  }
  const text = await res.text();
  let json = null;
  let parsed = !text;
  try {
    json = text ? JSON.parse(text) : null;
    parsed = true;
  } catch { /* not JSON: reported below */ }
  if (!res.ok) throw errorFromAnswer(res.status, json);
  if (!parsed) throw new ApiError(res.status, `${path} answered something that is not JSON`, "");
  return json;
}

export const getJson = (path) => request("GET", path);
export const postJson = (path, body) => request("POST", path, body ?? {});
