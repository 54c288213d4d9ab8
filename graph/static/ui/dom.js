// Building the page without innerHTML: every value reaches the DOM as text.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// A labelled control: the label names it for screen readers and is clickable.
let controls = 0;
export function field(label, control, hint = null) {
  control.id ||= `control-${++controls}`;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint && h('small', {}, hint),
  );
}

export function select(name, options, value) {
  return h(
    'select',
    { name },
    options.map(([optionValue, text]) =>
      h('option', { value: optionValue, selected: optionValue === value }, text),
    ),
  );
}

export function table(caption, headings, rows) {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headings.map((text) => h('th', { scope: 'col' }, text)))),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))
          : h('tr', {}, h('td', { colspan: headings.length }, 'None yet.')),
      ),
    ),
  );
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function number(value, digits = 1) {
  if (value === null || value === undefined) return '—';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

export function announce(text) {
  document.getElementById('status').textContent = text;
}

export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, error.message || String(error));
}

// The heading and tab links every screen about one model starts with.
const MODEL_TABS = [
  ['', 'Versions'],
  ['/analytics', 'Analytics'],
  ['/compare', 'Compare'],
  ['/live', 'Live feed'],
  ['/jobs', 'Jobs'],
  ['/webhooks', 'Webhooks'],
];

export function modelHeader(model, current) {
  const base = `#/models/${encodeURIComponent(model.id)}`;
  return [
    h('h1', {}, model.fullName),
    h(
      'nav',
      { class: 'tabs', 'aria-label': `${model.fullName} sections` },
      MODEL_TABS.map(([suffix, text]) =>
        h('a', { href: base + suffix, 'aria-current': suffix === current ? 'page' : null }, text),
      ),
    ),
  ];
}

export const MODEL_HEAD = 'id fullName myAccess';

// The time ranges the analytics screens offer, each with the bucket that suits it.
export const RANGES = [
  ['1h', 'Last hour', 3_600_000, 'MINUTE'],
  ['24h', 'Last 24 hours', 86_400_000, 'HOUR'],
  ['7d', 'Last 7 days', 7 * 86_400_000, 'HOUR'],
  ['30d', 'Last 30 days', 30 * 86_400_000, 'DAY'],
];

export function rangePicker(value, onchange) {
  const picker = select(
    'range',
    RANGES.map(([key, text]) => [key, text]),
    value,
  );
  picker.addEventListener('change', () => onchange(picker.value));
  return field('Time range', picker);
}

export function rangeOf(key) {
  const [, , span, bucket] = RANGES.find(([name]) => name === key) ?? RANGES[1];
  // A minute past now, so a prediction made this instant is inside the range.
  const until = new Date(Date.now() + 60_000);
  return { since: new Date(until - span).toISOString(), until: until.toISOString(), bucket };
}
