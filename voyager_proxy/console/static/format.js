// How values are shown: Voyager's placeholders never appear as numbers.

const PLACEHOLDERS = new Set([-123456789, 123456789, -2147483648]);

/** `value` for display; null/undefined/placeholders become `missing` ("unknown" unless told "off"). */
export function shown(value, missing = "unknown") {
  if (value === null || value === undefined || value === "" || PLACEHOLDERS.has(value)) return missing;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

/** Why a ControlData field is missing, from the parsed part's `unavailable` map: "off", "error", or "unknown". */
export function missingReason(parsed, rawName) {
  const reason = parsed?.unavailable?.[rawName];
  return reason === "off" ? "off" : "unknown";
}

/** Epoch seconds as local date and time. */
export function when(seconds) {
  if (!seconds) return "unknown";
  return new Date(seconds * 1000).toLocaleString();
}

/** Fill a <dl> with [label, value] rows; a row of one string is a group title. */
export function facts(list, rows) {
  list.replaceChildren();
  for (const row of rows) {
    if (typeof row === "string") {
      const title = document.createElement("dt");
      title.className = "group";
      title.textContent = row;
      list.append(title);
      continue;
    }
    const [label, value, name] = row;
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = value;
    if (name) detail.dataset.field = name;
    list.append(term, detail);
  }
}

/** An element with text and attributes. */
export function element(tag, text = "", attributes = {}) {
  const made = document.createElement(tag);
  if (text) made.textContent = text;
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  return made;
}
