/**
 * The page: open files, pick the design, run it in a Web Worker, show and download the report.
 * Every element is built with the DOM API and every user string (column names, values, file
 * names, messages) is set as text, never parsed as HTML. The report itself comes from the
 * library's renderer, already escaped, and is shown in a sandboxed frame.
 */
import { parse as parseYaml } from 'yaml';
import { CSV_ENCODINGS } from '../data/csv.js';
import { MATCHING_METHOD_NAMES, MATCHING_METHODS } from '../matching/methods.js';
import { SE_METHODS } from '../effects/seMethods.js';
import { safeParseStudy } from '../study/schema.js';
import { FormProblem, type FormState, optionControls, type RawValue, rawOf, studyFromForm, studyYaml } from './form.js';
import type { ColumnInfo, FromWorker, ReadSettings, ToWorker } from './protocol.js';

type Role = 'persons' | 'spells';

// ---------------------------------------------------------------- small DOM helpers
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string | boolean | number>> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else if (k in e && typeof v !== 'string') (e as unknown as Record<string, unknown>)[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const labelled = (id: string, text: string, control: HTMLElement, help?: string) => {
  control.id = id;
  const parts: (Node | string)[] = [el('label', { for: id, text }), control];
  if (help) {
    control.setAttribute('aria-describedby', `${id}-help`);
    parts.push(el('small', { id: `${id}-help`, class: 'help', text: help }));
  }
  return el('div', { class: 'field' }, ...parts);
};
function select(values: readonly { value: string; label: string }[], selected = ''): HTMLSelectElement {
  const s = el('select');
  for (const v of values) {
    const o = el('option');
    o.value = v.value;
    o.textContent = v.label;
    s.append(o);
  }
  s.value = selected;
  return s;
}
/** Refill a select with column names, keeping the choice when it is still there. */
function fillColumns(s: HTMLSelectElement, names: readonly string[], empty: string, prefer: readonly string[] = []): void {
  const keep = s.value || s.dataset.want || '';
  s.replaceChildren();
  const o = el('option');
  o.value = '';
  o.textContent = empty;
  s.append(o);
  for (const n of names) {
    const x = el('option');
    x.value = n;
    x.textContent = n;
    s.append(x);
  }
  const pick = [keep, ...prefer].find((p) => p && names.includes(p));
  s.value = pick ?? '';
}

// ---------------------------------------------------------------- state
const state: {
  worker: Worker | null;
  running: boolean;
  files: Partial<Record<Role, File>>;
  columns: Partial<Record<Role, { name: string; rows: number; columns: readonly ColumnInfo[] }>>;
  base: Record<string, unknown>;
  pending: Record<string, unknown> | null;
  lastStudy: Record<string, unknown> | null;
  urls: string[];
} = { worker: null, running: false, files: {}, columns: {}, base: {}, pending: null, lastStudy: null, urls: [] };

function worker(): Worker {
  if (!state.worker) {
    state.worker = new Worker(new URL('./worker.js', document.baseURI), { type: 'module', name: 'counterfact' });
    state.worker.onmessage = (ev: MessageEvent<FromWorker>) => onWorker(ev.data);
    state.worker.onerror = (ev) => {
      ev.preventDefault();
      showErrors([`internal error in the worker: ${ev.message || 'it stopped'} — please report this`]);
      stopRun('failed');
    };
  }
  return state.worker;
}
function send(m: ToWorker, transfer: Transferable[] = []): void {
  worker().postMessage(m, transfer);
}

// ---------------------------------------------------------------- building the page
function build(root: HTMLElement): void {
  const readOpts = el(
    'div',
    { class: 'row' },
    labelled(
      'read-delimiter',
      'Delimiter',
      select(
        [
          { value: 'auto', label: 'detect' },
          { value: ',', label: 'comma ,' },
          { value: ';', label: 'semicolon ;' },
          { value: '\t', label: 'tab' },
          { value: '|', label: 'bar |' },
        ],
        'auto',
      ),
    ),
    labelled(
      'read-decimal',
      'Decimal mark',
      select(
        [
          { value: 'auto', label: 'detect' },
          { value: '.', label: 'point .' },
          { value: ',', label: 'comma ,' },
        ],
        'auto',
      ),
    ),
    labelled(
      'read-thousands',
      'Thousands separator',
      select(
        [
          { value: '', label: 'none' },
          { value: '.', label: 'point .' },
          { value: ',', label: 'comma ,' },
          { value: "'", label: "apostrophe '" },
          { value: ' ', label: 'space' },
        ],
        '',
      ),
    ),
    labelled('read-encoding', 'Encoding', select([{ value: '', label: 'utf-8 (default)' }, ...CSV_ENCODINGS.map((e) => ({ value: e, label: e }))], '')),
    labelled('read-idtext', 'Read the id as text', el('input', { type: 'checkbox' }), 'ids such as 007 or 17-digit codes, exactly as written'),
  );
  const fileIn = (id: string, text: string, accept: string, help: string) => labelled(id, text, el('input', { type: 'file', accept }), help);
  const dataSection = el(
    'section',
    { id: 'data', 'aria-labelledby': 'data-h' },
    el('h2', { id: 'data-h', text: '1 · Data' }),
    el(
      'div',
      { class: 'row' },
      fileIn('file-data', 'Data file (one row per unit)', '.csv,.tsv,.txt,.arrow,.feather,.ipc,.parquet', 'CSV, Arrow or Parquet'),
      fileIn('file-spells', 'Contract spells (optional)', '.csv,.tsv,.txt,.arrow,.feather,.ipc,.parquet', 'id, start, end: for employment outcomes'),
      fileIn('file-study', 'Study file (optional)', '.yaml,.yml,.json', 'fills the form from a counterfact study file'),
    ),
    readOpts,
    el('p', { id: 'data-status', class: 'status', 'aria-live': 'polite' }),
  );
  const columnsSection = el(
    'section',
    { id: 'columns', 'aria-labelledby': 'columns-h' },
    el('h2', { id: 'columns-h', text: '2 · Columns and covariates' }),
    el('p', { class: 'help', text: 'Tick the covariates of the propensity model; text columns are categorical, and numeric codes can be made categorical.' }),
    el('div', { id: 'columns-table', class: 'scroll' }, el('p', { class: 'empty', text: 'Open a data file to see its columns.' })),
  );
  const methodChoices = MATCHING_METHOD_NAMES.map((n) => ({ value: n, label: n }));
  const seChoices = [{ value: '', label: "the method's default" }, ...SE_METHODS.map((m) => ({ value: m.name, label: `${m.name} — ${m.summary}` }))];
  const designSection = el(
    'section',
    { id: 'design', 'aria-labelledby': 'design-h' },
    el('h2', { id: 'design-h', text: '3 · Design' }),
    el(
      'div',
      { class: 'row' },
      labelled('f-title', 'Title', el('input', { type: 'text', value: 'Counterfactual evaluation' })),
      labelled('f-id', 'Unit id', el('select')),
      labelled('f-treatment', 'Treatment', el('select'), '0/1, or a text column with two values'),
      labelled('f-treated-value', 'Treated value', el('select'), 'for a text treatment: the label of the treated'),
      labelled(
        'f-link',
        'Propensity model',
        select(
          [
            { value: 'logit', label: 'logit' },
            { value: 'probit', label: 'probit' },
          ],
          'logit',
        ),
      ),
    ),
    el('div', { class: 'row' }, labelled('f-method', 'Matching method', select(methodChoices, 'nearest')), el('p', { id: 'method-summary', class: 'help' })),
    el('fieldset', { id: 'method-options' }, el('legend', { text: 'Method options' })),
    el(
      'div',
      { class: 'row' },
      labelled('f-se', 'Standard error', select(seChoices, '')),
      labelled('f-var-matches', 'Variance matches (J)', el('input', { type: 'number', min: '0', step: '1', value: '0' })),
      labelled('f-level', 'Confidence level', el('input', { type: 'number', min: '0.5', max: '0.999', step: 'any', value: '0.95' })),
      labelled('f-seed', 'Seed', el('input', { type: 'number', min: '0', step: '1', value: '1' })),
      labelled(
        'f-min-cell',
        'Minimum cell count',
        el('input', { type: 'number', min: '1', step: '1', value: '10' }),
        'smaller counts are suppressed in every output',
      ),
    ),
  );
  const outcomeSection = el(
    'section',
    { id: 'outcome', 'aria-labelledby': 'outcome-h' },
    el('h2', { id: 'outcome-h', text: '4 · Outcome' }),
    el(
      'fieldset',
      { class: 'row' },
      el('legend', { text: 'Outcome type' }),
      el('label', {}, el('input', { type: 'radio', name: 'otype', id: 'o-binary', value: 'binary', checked: true }), ' a column (0/1 or numeric)'),
      el('label', {}, el('input', { type: 'radio', name: 'otype', id: 'o-spells', value: 'spells' }), ' employment from contract spells, at horizons'),
    ),
    el('div', { class: 'row', id: 'o-binary-fields' }, labelled('f-outcome', 'Outcome column', el('select'))),
    el(
      'div',
      { class: 'row', id: 'o-spells-fields', hidden: true },
      labelled('f-refdate', 'Reference date (treated)', el('select'), 'course end, voucher intake'),
      labelled('f-horizons', 'Horizons (months)', el('input', { type: 'text', value: '6,12,18,24' })),
      labelled('f-spell-id', 'Spell id', el('select'), 'default: the unit id'),
      labelled('f-spell-start', 'Spell start', el('select')),
      labelled('f-spell-end', 'Spell end', el('select'), 'empty = still open'),
    ),
    el('div', { class: 'row' }, labelled('f-label', 'Outcome label (optional)', el('input', { type: 'text' }))),
    el(
      'fieldset',
      { class: 'row' },
      el('legend', { text: 'Sensitivity' }),
      el('label', {}, el('input', { type: 'checkbox', id: 'f-evalue' }), ' E-value'),
      el('label', {}, el('input', { type: 'checkbox', id: 'f-rosenbaum' }), ' Rosenbaum bounds (binary outcome, 1:1)'),
    ),
  );
  const runSection = el(
    'section',
    { id: 'run', 'aria-labelledby': 'run-h' },
    el('h2', { id: 'run-h', text: '5 · Run' }),
    el(
      'div',
      { class: 'row' },
      el('button', { type: 'submit', id: 'run-button', text: 'Run the evaluation' }),
      el('button', { type: 'button', id: 'cancel-button', text: 'Cancel', disabled: true }),
      el('progress', { id: 'progress', max: '1', value: '0', 'aria-label': 'progress' }),
      el('span', { id: 'run-status', class: 'status', role: 'status', 'aria-live': 'polite' }),
    ),
    el('div', { id: 'errors', role: 'alert' }),
  );
  const form = el('form', { id: 'study-form', novalidate: true }, dataSection, columnsSection, designSection, outcomeSection, runSection);
  const results = el(
    'section',
    { id: 'results', 'aria-labelledby': 'results-h', hidden: true },
    el('h2', { id: 'results-h', text: '6 · Results' }),
    el('div', { id: 'downloads', class: 'row' }),
    el('iframe', { id: 'report', title: 'report', sandbox: '' }),
  );
  root.replaceChildren(form, results);

  // Behaviour.
  $<HTMLInputElement>('file-data').addEventListener('change', (e) => openFile('persons', (e.target as HTMLInputElement).files?.[0]));
  $<HTMLInputElement>('file-spells').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f && !state.pending) {
      $<HTMLInputElement>('o-spells').checked = true;
      showOutcomeFields();
    }
    void openFile('spells', f);
  });
  $<HTMLInputElement>('file-study').addEventListener('change', (e) => openStudy((e.target as HTMLInputElement).files?.[0]));
  for (const id of ['read-delimiter', 'read-decimal', 'read-thousands', 'read-encoding', 'read-idtext', 'f-id'])
    $(id).addEventListener('change', () => {
      if (id !== 'f-id' || $<HTMLInputElement>('read-idtext').checked) reread();
    });
  $<HTMLSelectElement>('f-method').addEventListener('change', () => renderMethodOptions());
  $<HTMLSelectElement>('f-treatment').addEventListener('change', () => refreshTreatedValues());
  for (const id of ['o-binary', 'o-spells']) $(id).addEventListener('change', () => showOutcomeFields());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    startRun();
  });
  $('cancel-button').addEventListener('click', () => cancelRun());
  renderMethodOptions();
}

function showOutcomeFields(): void {
  const spells = $<HTMLInputElement>('o-spells').checked;
  $('o-spells-fields').hidden = !spells;
  $('o-binary-fields').hidden = spells;
}

/** The method's option controls, generated from its OptionSpec declarations. */
function renderMethodOptions(values: Readonly<Record<string, unknown>> = {}): void {
  const name = $<HTMLSelectElement>('f-method').value;
  const method = MATCHING_METHODS[name]!;
  $('method-summary').textContent = method.summary;
  const box = $('method-options');
  box.replaceChildren(el('legend', { text: `Options of ${name}` }));
  const names = state.columns.persons?.columns.map((c) => c.name) ?? [];
  for (const c of optionControls(method)) {
    if (c.key === 'seed') continue; // the study's seed (below) drives it
    const id = `opt-${c.key}`;
    const raw = rawOf(c.spec, values[c.key]);
    let field: HTMLElement;
    if (c.control === 'number') {
      const input = el('input', { type: 'number', step: c.step ?? 'any', placeholder: c.placeholder ?? '' });
      if (c.min !== undefined) input.min = String(c.min);
      if (c.max !== undefined) input.max = String(c.max);
      if (typeof raw === 'string') input.value = raw;
      field = labelled(id, c.key, input, c.help);
    } else if (c.control === 'checkbox') {
      const input = el('input', { type: 'checkbox' });
      input.checked = typeof raw === 'boolean' ? raw : c.spec.kind === 'boolean' && c.spec.default === true;
      field = labelled(id, c.key, input, c.help);
      field.classList.add('check');
    } else if (c.control === 'select') {
      field = labelled(id, c.key, select(c.choices!, typeof raw === 'string' ? raw : (c.choices![0]?.value ?? '')), c.help);
      const s = field.querySelector('select')!;
      if (typeof raw !== 'string' && c.spec.kind === 'enum' && c.spec.default !== undefined) s.value = c.spec.default;
    } else if (c.control === 'column') {
      const s = el('select');
      if (typeof raw === 'string') s.dataset.want = raw;
      fillColumns(s, names, '(choose a column)');
      field = labelled(id, c.key, s, c.help);
    } else if (c.control === 'columns') {
      const fs = el('fieldset', { id, class: 'columns-pick', 'data-option': c.key }, el('legend', { text: `${c.key} — ${c.help}` }));
      const want = new Set(Array.isArray(raw) ? raw : []);
      if (!names.length) fs.append(el('small', { class: 'help', text: 'open a data file to list its columns' }));
      names.forEach((n, k) => {
        const cb = el('input', { type: 'checkbox', id: `${id}-${k}` });
        cb.value = n;
        cb.checked = want.has(n);
        fs.append(el('label', { for: `${id}-${k}` }, cb, ' ', el('span', { class: 'colname', text: n })));
      });
      field = fs;
    } else {
      const input = el('input', { type: 'text', placeholder: c.placeholder ?? '' });
      if (typeof raw === 'string') input.value = raw;
      field = labelled(id, c.key, input, c.help);
    }
    field.dataset.option = c.key;
    box.append(field);
  }
}

/** The raw values of the method option controls now on the page. */
function methodRawValues(): Record<string, RawValue> {
  const method = MATCHING_METHODS[$<HTMLSelectElement>('f-method').value]!;
  const out: Record<string, RawValue> = {};
  for (const c of optionControls(method)) {
    const e = document.getElementById(`opt-${c.key}`);
    if (!e) continue;
    if (c.control === 'columns')
      out[c.key] = Array.from(e.querySelectorAll<HTMLInputElement>('input[type=checkbox]'))
        .filter((x) => x.checked)
        .map((x) => x.value);
    else if (c.control === 'checkbox') out[c.key] = (e as HTMLInputElement).checked;
    else out[c.key] = (e as HTMLInputElement | HTMLSelectElement).value;
  }
  return out;
}

function renderColumns(): void {
  const info = state.columns.persons;
  const box = $('columns-table');
  if (!info) return;
  const prevCov = new Set(checked('cov'));
  const prevCat = new Set(checked('cat'));
  const want = state.pending;
  const wantCov = new Set(Array.isArray(want?.covariates) ? (want.covariates as string[]) : []);
  const wantCat = new Set(Array.isArray(want?.categorical) ? (want.categorical as string[]) : []);
  const table = el(
    'table',
    { class: 'cols' },
    el('thead', {}, el('tr', {}, ...['column', 'type', 'missing', 'distinct', 'covariate', 'categorical'].map((h) => el('th', { scope: 'col', text: h })))),
  );
  const body = el('tbody');
  info.columns.forEach((c, k) => {
    const cov = el('input', { type: 'checkbox', id: `cov-${k}`, class: 'cov' });
    cov.value = c.name;
    cov.checked = want ? wantCov.has(c.name) : prevCov.has(c.name);
    cov.setAttribute('aria-label', `covariate: ${c.name}`);
    const cat = el('input', { type: 'checkbox', id: `cat-${k}`, class: 'cat' });
    cat.value = c.name;
    cat.checked = want ? wantCat.has(c.name) : prevCat.has(c.name);
    cat.disabled = c.type === 'text' || c.type === 'date';
    cat.setAttribute('aria-label', `categorical: ${c.name}`);
    body.append(
      el(
        'tr',
        {},
        el('th', { scope: 'row', class: 'colname', text: c.name }),
        el('td', { text: c.type }),
        el('td', { class: 'num', text: c.missing.toLocaleString('en') }),
        el('td', { class: 'num', text: c.distinct > 1000 ? '1,000+' : c.distinct.toLocaleString('en') }),
        el('td', {}, cov),
        el('td', {}, c.type === 'text' || c.type === 'date' ? el('span', { class: 'help', text: 'text' }) : cat),
      ),
    );
  });
  table.append(body);
  box.replaceChildren(table);
}

function checked(cls: 'cov' | 'cat'): string[] {
  const ticked = Array.from(document.querySelectorAll<HTMLInputElement>(`input.${cls}`))
    .filter((x) => x.checked)
    .map((x) => x.value);
  // An opened study's order first (it is the order of the model's terms), then the data's.
  const listed = state.base[cls === 'cov' ? 'covariates' : 'categorical'];
  const order = Array.isArray(listed) ? listed.map(String) : [];
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return ticked
    .map((n, k) => ({ n, k }))
    .sort((a, b) => rank(a.n) - rank(b.n) || a.k - b.k)
    .map((x) => x.n);
}

function refreshSelects(): void {
  const names = state.columns.persons?.columns.map((c) => c.name) ?? [];
  const spellNames = state.columns.spells?.columns.map((c) => c.name) ?? [];
  const cols = state.columns.persons?.columns ?? [];
  const byType = (t: ColumnInfo['type']) => cols.filter((c) => c.type === t).map((c) => c.name);
  fillColumns($('f-id'), names, '(choose the id column)', ['id']);
  fillColumns($('f-treatment'), names, '(choose the treatment)', ['treat', 'treated', 'treatment', ...byType('0/1')]);
  fillColumns($('f-outcome'), names, '(choose the outcome)');
  fillColumns($('f-refdate'), names, '(choose the date column)', ['reference_date', ...byType('date')]);
  const idNow = $<HTMLSelectElement>('f-id').value;
  fillColumns($('f-spell-id'), spellNames, '(the unit id)');
  fillColumns($('f-spell-start'), spellNames, '(choose)', ['start']);
  fillColumns($('f-spell-end'), spellNames, '(choose)', ['end']);
  void idNow;
  refreshTreatedValues();
  renderMethodOptions(state.pending?.matching && typeof state.pending.matching === 'object' ? (state.pending.matching as Record<string, unknown>) : {});
}

function refreshTreatedValues(): void {
  const name = $<HTMLSelectElement>('f-treatment').value;
  const c = state.columns.persons?.columns.find((x) => x.name === name);
  const s = $<HTMLSelectElement>('f-treated-value');
  const keep = s.value || s.dataset.want || '';
  s.replaceChildren();
  const values = c?.type === 'text' ? (c.values ?? []) : [];
  const o = el('option');
  o.value = '';
  o.textContent = values.length ? '(choose the treated label)' : '(0/1: 1 is treated)';
  s.append(o);
  for (const v of values) {
    const x = el('option');
    x.value = v;
    x.textContent = v;
    s.append(x);
  }
  s.value = values.includes(keep) ? keep : '';
  s.disabled = values.length === 0;
}

// ---------------------------------------------------------------- files
function readSettings(role: Role): ReadSettings {
  const v = (id: string) => $<HTMLSelectElement>(id).value;
  const idText = $<HTMLInputElement>('read-idtext').checked;
  const id = $<HTMLSelectElement>('f-id')?.value || (typeof state.pending?.id === 'string' ? state.pending.id : '');
  return {
    delimiter: v('read-delimiter'),
    decimal: v('read-decimal'),
    thousands: v('read-thousands') || undefined,
    encoding: v('read-encoding') || undefined,
    text: idText && id ? [id] : undefined,
    ...(role === 'spells' && idText ? { text: [$<HTMLSelectElement>('f-spell-id').value || id].filter(Boolean) } : {}),
  };
}

async function openFile(role: Role, file: File | undefined): Promise<void> {
  if (!file) return;
  state.files[role] = file;
  $('data-status').textContent = `reading ${file.name} …`;
  const bytes = await file.arrayBuffer();
  send({ type: 'open', role, name: file.name, bytes, read: readSettings(role) }, [bytes]);
}

function reread(): void {
  for (const role of ['persons', 'spells'] as const) if (state.files[role]) void openFile(role, state.files[role]);
}

async function openStudy(file: File | undefined): Promise<void> {
  if (!file) return;
  clearErrors();
  let doc: unknown;
  try {
    const text = await file.text();
    doc = /\.json$/i.test(file.name) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    showErrors([`${file.name} is not a readable study file: ${(e as Error).message}`]);
    return;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    showErrors([`${file.name} is not a study file: expected keys such as data, id, treatment, covariates, outcomes`]);
    return;
  }
  const check = safeParseStudy(doc);
  if (!check.ok) showErrors(check.problems.map((p) => `${file.name}: ${p.message}`));
  applyStudy(doc as Record<string, unknown>);
  const d = (doc as { data?: { persons?: unknown; spells?: unknown } }).data;
  const need = [d?.persons, d?.spells].filter((x): x is string => typeof x === 'string');
  $('data-status').textContent = need.length ? `Study ${file.name} loaded: open ${need.join(' and ')} to run it.` : `Study ${file.name} loaded.`;
}

/** Fill the form from a study document; column choices are applied again once the data are open. */
function applyStudy(doc: Record<string, unknown>): void {
  state.base = doc;
  state.pending = doc;
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const d = (doc.data ?? {}) as Record<string, unknown>;
  $<HTMLSelectElement>('read-delimiter').value = str(d.delimiter) || 'auto';
  $<HTMLSelectElement>('read-decimal').value = str(d.decimal) || 'auto';
  $<HTMLSelectElement>('read-thousands').value = str(d.thousands);
  $<HTMLSelectElement>('read-encoding').value = str(d.encoding);
  $<HTMLInputElement>('read-idtext').checked = d.idType === 'text';
  $<HTMLInputElement>('f-title').value = str(doc.title) || 'Counterfactual evaluation';
  const want = (id: string, v: unknown) => {
    const s = $<HTMLSelectElement>(id);
    s.dataset.want = str(v);
    s.value = str(v);
  };
  want('f-id', doc.id);
  want('f-treatment', doc.treatment);
  want('f-treated-value', doc.treatedValue);
  $<HTMLSelectElement>('f-link').value = str(doc.link) || 'logit';
  const m = (doc.matching ?? {}) as Record<string, unknown>;
  const method = typeof m.method === 'string' && MATCHING_METHOD_NAMES.includes(m.method) ? m.method : 'nearest';
  $<HTMLSelectElement>('f-method').value = method;
  const opts = { ...m, ...(Array.isArray(doc.exact) && doc.exact.length ? { exact: doc.exact } : {}) };
  $<HTMLSelectElement>('f-se').value = str(doc.se);
  $<HTMLInputElement>('f-var-matches').value = str(doc.varMatches) || '0';
  $<HTMLInputElement>('f-level').value = str(doc.level) || '0.95';
  $<HTMLInputElement>('f-seed').value = str(doc.seed) || '1';
  $<HTMLInputElement>('f-min-cell').value = str(doc.minCellCount) || '10';
  const o = (Array.isArray(doc.outcomes) ? doc.outcomes[0] : undefined) as Record<string, unknown> | undefined;
  if (o?.type === 'spells') {
    $<HTMLInputElement>('o-spells').checked = true;
    want('f-refdate', o.referenceDate);
    $<HTMLInputElement>('f-horizons').value = Array.isArray(o.horizons) ? o.horizons.join(',') : '';
    const sc = (o.spellColumns ?? {}) as Record<string, unknown>;
    want('f-spell-id', sc.id);
    want('f-spell-start', sc.start ?? 'start');
    want('f-spell-end', sc.end ?? 'end');
  } else {
    $<HTMLInputElement>('o-binary').checked = true;
    want('f-outcome', o?.column);
  }
  $<HTMLInputElement>('f-label').value = str(o?.label);
  const sens = (doc.sensitivity ?? {}) as Record<string, unknown>;
  $<HTMLInputElement>('f-evalue').checked = sens.evalue === true;
  $<HTMLInputElement>('f-rosenbaum').checked = sens.rosenbaum === true;
  showOutcomeFields();
  renderMethodOptions(opts);
  if (state.columns.persons) {
    renderColumns();
    refreshSelects();
    renderMethodOptions(opts);
  }
  if (state.files.persons) reread();
}

// ---------------------------------------------------------------- running
function formState(): FormState {
  const v = (id: string) => ($(id) as HTMLInputElement | HTMLSelectElement).value;
  const spells = $<HTMLInputElement>('o-spells').checked;
  return {
    title: v('f-title'),
    persons:
      state.files.persons?.name ??
      (typeof (state.base.data as Record<string, unknown> | undefined)?.persons === 'string'
        ? String((state.base.data as Record<string, unknown>).persons)
        : ''),
    spells: state.files.spells?.name,
    read: {
      delimiter: v('read-delimiter'),
      decimal: v('read-decimal'),
      thousands: v('read-thousands'),
      encoding: v('read-encoding'),
      idText: $<HTMLInputElement>('read-idtext').checked,
    },
    id: v('f-id'),
    treatment: v('f-treatment'),
    treatedValue: v('f-treated-value'),
    covariates: checked('cov'),
    categorical: checked('cat'),
    link: v('f-link'),
    method: v('f-method'),
    options: methodRawValues(),
    se: v('f-se'),
    varMatches: v('f-var-matches'),
    level: v('f-level'),
    outcome: spells
      ? {
          type: 'spells',
          referenceDate: v('f-refdate'),
          horizons: v('f-horizons'),
          label: v('f-label') || undefined,
          spellColumns: { id: v('f-spell-id') || undefined, start: v('f-spell-start'), end: v('f-spell-end') },
        }
      : { type: 'binary', column: v('f-outcome'), label: v('f-label') || undefined },
    sensitivity: { evalue: $<HTMLInputElement>('f-evalue').checked, rosenbaum: $<HTMLInputElement>('f-rosenbaum').checked },
    seed: v('f-seed'),
    minCellCount: v('f-min-cell'),
  };
}

function startRun(): void {
  if (state.running) return;
  clearErrors();
  const f = formState();
  const missing: string[] = [];
  if (!state.files.persons) missing.push('open the data file (1 · Data)');
  if (!f.id) missing.push('choose the unit id column (3 · Design)');
  if (!f.treatment) missing.push('choose the treatment column (3 · Design)');
  if (!f.covariates.length) missing.push('tick at least one covariate (2 · Columns)');
  if (f.outcome.type === 'binary' && !f.outcome.column) missing.push('choose the outcome column (4 · Outcome)');
  if (f.outcome.type === 'spells' && !state.files.spells) missing.push('open the contract spells file (1 · Data)');
  if (f.outcome.type === 'spells' && !f.outcome.referenceDate) missing.push('choose the reference date column (4 · Outcome)');
  if (missing.length) {
    showErrors(missing);
    return;
  }
  let study: Record<string, unknown>;
  try {
    study = studyFromForm(f, state.base);
  } catch (e) {
    if (e instanceof FormProblem) {
      showErrors([e.message]);
      return;
    }
    throw e;
  }
  state.pending = null;
  state.lastStudy = study;
  state.running = true;
  $<HTMLButtonElement>('run-button').disabled = true;
  $<HTMLButtonElement>('cancel-button').disabled = false;
  setProgress('starting', 0);
  send({ type: 'run', study });
}

function setProgress(stage: string, fraction: number): void {
  $<HTMLProgressElement>('progress').value = fraction;
  $('run-status').textContent = `${stage} — ${Math.round(fraction * 100)}%`;
}

function stopRun(how: 'done' | 'cancelled' | 'failed'): void {
  state.running = false;
  $<HTMLButtonElement>('run-button').disabled = false;
  const cancel = $<HTMLButtonElement>('cancel-button');
  if (document.activeElement === cancel) $<HTMLButtonElement>('run-button').focus();
  cancel.disabled = true;
  if (how !== 'done') {
    $<HTMLProgressElement>('progress').value = 0;
    $('run-status').textContent = how === 'cancelled' ? 'cancelled' : 'stopped with an error';
  }
}

function cancelRun(): void {
  if (!state.running) return;
  state.worker?.terminate();
  state.worker = null;
  stopRun('cancelled');
  // The new worker needs the files again (the old one held them).
  state.columns = {};
  reread();
}

function onWorker(m: FromWorker): void {
  if (m.type === 'columns') {
    state.columns[m.role] = { name: m.name, rows: m.rows, columns: m.columns };
    const p = state.columns.persons;
    const s = state.columns.spells;
    $('data-status').textContent = [
      p ? `${p.name}: ${p.rows.toLocaleString('en')} rows, ${p.columns.length} columns` : '',
      s ? `${s.name}: ${s.rows.toLocaleString('en')} spells` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    if (m.role === 'persons') {
      renderColumns();
      warnAbsent(m.name, m.columns);
    }
    refreshSelects();
  } else if (m.type === 'progress') setProgress(m.stage, m.fraction);
  else if (m.type === 'error') {
    showErrors(m.messages);
    if (m.role === 'run') stopRun('failed');
    else $('data-status').textContent = `could not read the ${m.role === 'spells' ? 'spells' : 'data'} file`;
  } else if (m.type === 'done') {
    setProgress(`done in ${m.seconds.toFixed(1)} s`, 1);
    stopRun('done');
    showResults(m.report, m.resultsJson);
  }
}

/** Columns an opened study names that the data file does not have: said, not silently dropped. */
function warnAbsent(file: string, columns: readonly ColumnInfo[]): void {
  const doc = state.pending;
  if (!doc) return;
  const have = new Set(columns.map((c) => c.name));
  const named: [string, unknown][] = [
    ['id', doc.id],
    ['treatment', doc.treatment],
    ...(Array.isArray(doc.covariates) ? doc.covariates.map((c, k): [string, unknown] => [`covariates[${k}]`, c]) : []),
    ...(Array.isArray(doc.categorical) ? doc.categorical.map((c, k): [string, unknown] => [`categorical[${k}]`, c]) : []),
  ];
  const absent = named.filter(([, v]) => typeof v === 'string' && !have.has(v));
  if (absent.length)
    showErrors(
      absent.map(
        ([k, v]) =>
          `the study's ${k} names the column ${JSON.stringify(v)}, which ${file} does not have: choose another, or open the file the study was written for`,
      ),
    );
}

function download(name: string, text: string, type: string): HTMLAnchorElement {
  const url = URL.createObjectURL(new Blob([text], { type }));
  state.urls.push(url);
  return el('a', { href: url, download: name, class: 'button', id: `dl-${name.replace(/\W/g, '-')}`, text: `Download ${name}` });
}

function showResults(report: string, resultsJson: string): void {
  for (const u of state.urls.splice(0)) URL.revokeObjectURL(u);
  $('downloads').replaceChildren(
    download('report.html', report, 'text/html'),
    download('results.json', resultsJson, 'application/json'),
    download('study.yaml', studyYaml(state.lastStudy ?? {}), 'text/yaml'),
  );
  const frame = $<HTMLIFrameElement>('report');
  frame.srcdoc = report;
  $('results').hidden = false;
}

function clearErrors(): void {
  $('errors').replaceChildren();
}
function showErrors(messages: readonly string[]): void {
  $('errors').replaceChildren(el('ul', {}, ...messages.map((t) => el('li', { text: t }))));
}

build(document.getElementById('app')!);
