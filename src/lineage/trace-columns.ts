import type { Node as PgNode, SelectStmt } from 'libpg-query';

/** One upstream column: the node that holds it and its name there. */
export interface UpstreamColumn {
  node: string;
  column: string;
}

/**
 * How one output column of a model is computed. `direct`: it is one upstream column, maybe renamed;
 * `derived`: an expression over the upstream columns; `constant`: no column goes into it;
 * `untraceable`: some or all of its inputs cannot be known from the SQL (`reason` says why, and
 * `upstream` holds what could be traced).
 */
export interface ColumnLineage {
  column: string;
  kind: 'direct' | 'derived' | 'constant' | 'untraceable';
  upstream: UpstreamColumn[];
  reason?: string | undefined;
}

/** A relation the SQL may read: a node of the project, with its column names when they are known. */
export interface KnownRelation {
  node: string;
  label: string;
  columns: string[] | undefined;
}

/** relations by lower-cased "schema.name" and by lower-cased "name" */
export type RelationIndex = Map<string, KnownRelation>;

interface Col {
  name: string;
  refs: Map<string, UpstreamColumn>;
  direct: boolean;
  unknown: string[];
}

/** A relation's columns in order; `star` says that some columns come from a `*` over a relation whose columns are unknown. */
interface Rel {
  cols: Col[];
  star?: string | undefined;
}

interface Item {
  names: string[];
  rel: Rel;
}

interface Scope {
  items: Item[];
  using: Set<string>;
  parent?: Scope | undefined;
}

type Ctes = Map<string, Rel>;
type Obj = Record<string, unknown>;

const lc = (s: string) => s.toLowerCase();
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

function emptyCol(name: string): Col {
  return { name, refs: new Map(), direct: false, unknown: [] };
}

function merge(into: Col, from: Col): void {
  for (const [k, v] of from.refs) into.refs.set(k, v);
  for (const u of from.unknown) if (!into.unknown.includes(u)) into.unknown.push(u);
}

function copyCol(c: Col, name = c.name): Col {
  return { name, refs: new Map(c.refs), direct: c.direct, unknown: [...c.unknown] };
}

function unknownRel(why: string): Rel {
  return { cols: [], star: why };
}

/**
 * Traces every output column of one SELECT statement (a parse tree from libpg-query) back to the
 * columns of the relations it reads. Pure.
 */
export function traceSelect(stmt: SelectStmt, relations: RelationIndex): ColumnLineage[] & { star?: string } {
  const rel = resolveSelect(stmt, new Map(), relations, undefined);
  const out: ColumnLineage[] & { star?: string } = rel.cols.map(toLineage);
  if (rel.star !== undefined) out.star = rel.star;
  return out;
}

export function toLineage(c: Col): ColumnLineage {
  const upstream = [...c.refs.values()].sort((a, b) => (a.node === b.node ? a.column.localeCompare(b.column) : a.node.localeCompare(b.node)));
  if (c.unknown.length > 0) return { column: c.name, kind: 'untraceable', upstream, reason: c.unknown.join('; ') };
  if (upstream.length === 0) return { column: c.name, kind: 'constant', upstream };
  return { column: c.name, kind: c.direct && upstream.length === 1 ? 'direct' : 'derived', upstream };
}

function resolveStmt(node: PgNode | undefined, ctes: Ctes, relations: RelationIndex, parent: Scope | undefined): Rel {
  if (node && 'SelectStmt' in node) return resolveSelect(node.SelectStmt, ctes, relations, parent);
  return unknownRel(`a ${node ? Object.keys(node)[0] : 'missing'} statement, which is not traced`);
}

function resolveSelect(stmt: SelectStmt, outer: Ctes, relations: RelationIndex, parent: Scope | undefined): Rel {
  const ctes: Ctes = new Map(outer);
  for (const c of stmt.withClause?.ctes ?? []) {
    if (!('CommonTableExpr' in c)) continue;
    const cte = c.CommonTableExpr;
    const name = lc(cte.ctename ?? '');
    let rel: Rel;
    if (stmt.withClause?.recursive) {
      // a recursive CTE's columns are those of its first (non-recursive) branch
      const q = cte.ctequery;
      const first = q && 'SelectStmt' in q && q.SelectStmt.larg ? { SelectStmt: q.SelectStmt.larg } : q;
      rel = resolveStmt(first, ctes, relations, parent);
      rel = {
        ...rel,
        cols: rel.cols.map((col) => ({
          ...copyCol(col),
          direct: false,
          unknown: [...col.unknown, `the recursive CTE ${cte.ctename} is traced through its first branch only`],
        })),
      };
    } else rel = resolveStmt(cte.ctequery, ctes, relations, parent);
    ctes.set(name, renameCols(rel, (cte.aliascolnames ?? []).map(str)));
  }

  if (stmt.op && stmt.op !== 'SETOP_NONE') {
    const l = resolveSelect(stmt.larg!, ctes, relations, parent);
    const r = resolveSelect(stmt.rarg!, ctes, relations, parent);
    const cols = l.cols.map((c, i) => {
      const m = copyCol(c);
      const rc = r.cols[i];
      if (rc) {
        merge(m, rc);
        m.direct = c.direct && rc.direct && m.refs.size === 1;
      } else if (r.star !== undefined) m.unknown.push(r.star);
      return m;
    });
    return { cols, star: l.star ?? r.star };
  }

  if (stmt.valuesLists) {
    const first = stmt.valuesLists[0];
    const width = first && 'List' in first ? (first.List.items ?? []).length : 0;
    return { cols: Array.from({ length: width }, (_, i) => emptyCol(`column${i + 1}`)) };
  }

  const scope: Scope = { items: [], using: new Set(), parent };
  for (const f of stmt.fromClause ?? []) addFromItem(f, scope, ctes, relations);

  const cols: Col[] = [];
  let star: string | undefined;
  for (const t of stmt.targetList ?? []) {
    if (!('ResTarget' in t)) continue;
    const res = t.ResTarget;
    const val = res.val;
    const fields = val && 'ColumnRef' in val ? (val.ColumnRef.fields ?? []) : undefined;
    if (fields && fields.length > 0 && 'A_Star' in fields[fields.length - 1]!) {
      const qualifier = fields.slice(0, -1).map(str);
      const items = qualifier.length === 0 ? scope.items : findItem(scope, qualifier, false);
      if (qualifier.length > 0 && items.length === 0) star = `${qualifier.join('.')}, which is not in the FROM clause`;
      for (const item of items) {
        for (const c of item.rel.cols)
          if (!(qualifier.length === 0 && scope.using.has(lc(c.name)) && cols.some((x) => lc(x.name) === lc(c.name)))) cols.push(copyCol(c));
        if (item.rel.star !== undefined) star ??= item.rel.star;
      }
      continue;
    }
    const col = evalExpr(val, scope, ctes, relations);
    col.name = res.name ?? figureName(val);
    cols.push(col);
  }
  return { cols, star };
}

function renameCols(rel: Rel, names: string[]): Rel {
  if (names.length === 0) return rel;
  return { ...rel, cols: rel.cols.map((c, i) => copyCol(c, names[i] ?? c.name)) };
}

function str(n: PgNode): string {
  return 'String' in n ? (n.String.sval ?? '') : '';
}

function addFromItem(f: PgNode, scope: Scope, ctes: Ctes, relations: RelationIndex): void {
  if ('RangeVar' in f) {
    const rv = f.RangeVar;
    const name = rv.relname ?? '';
    const alias = rv.alias?.aliasname;
    let rel: Rel;
    const cte = rv.schemaname === undefined ? ctes.get(lc(name)) : undefined;
    if (cte) rel = cte;
    else {
      const key = lc(rv.schemaname === undefined ? name : `${rv.schemaname}.${name}`);
      const known = relations.get(key);
      const label = rv.schemaname === undefined ? name : `${rv.schemaname}.${name}`;
      if (!known) rel = unknownRel(`${label}, which is not a source or model of this project`);
      else if (known.columns === undefined) rel = unknownRel(`${known.label}, whose columns are not known (it is not in the warehouse and declares none)`);
      else
        rel = {
          cols: known.columns.map((c) => ({
            name: c,
            refs: new Map([[`${known.node}\u0000${c}`, { node: known.node, column: c }]]),
            direct: true,
            unknown: [],
          })),
        };
    }
    rel = renameCols(rel, (rv.alias?.colnames ?? []).map(str));
    scope.items.push({ names: alias ? [lc(alias)] : [lc(name), ...(rv.schemaname ? [lc(`${rv.schemaname}.${name}`)] : [])], rel });
  } else if ('RangeSubselect' in f) {
    const rs = f.RangeSubselect;
    let rel = resolveStmt(rs.subquery, ctes, relations, rs.lateral ? scope : scope.parent);
    rel = renameCols(rel, (rs.alias?.colnames ?? []).map(str));
    scope.items.push({ names: rs.alias?.aliasname ? [lc(rs.alias.aliasname)] : [], rel });
  } else if ('JoinExpr' in f) {
    const j = f.JoinExpr;
    if (j.larg) addFromItem(j.larg, scope, ctes, relations);
    if (j.rarg) addFromItem(j.rarg, scope, ctes, relations);
    for (const u of j.usingClause ?? []) scope.using.add(lc(str(u)));
    if (j.isNatural) scope.using.add('\u0000natural');
  } else {
    const kind = Object.keys(f)[0] ?? 'unknown';
    const alias = isObj((f as Obj)[kind]) ? ((f as Obj)[kind] as { alias?: { aliasname?: string } }).alias?.aliasname : undefined;
    scope.items.push({
      names: alias ? [lc(alias)] : [],
      rel: unknownRel(`a ${kind === 'RangeFunction' ? 'table function' : kind} in FROM, whose columns are not traced`),
    });
  }
}

function findItem(scope: Scope, qualifier: string[], climb: boolean): Item[] {
  const key = lc(qualifier.join('.'));
  for (let s: Scope | undefined = scope; s; s = climb ? s.parent : undefined) {
    const found = s.items.filter((i) => i.names.includes(key));
    if (found.length > 0) return found;
  }
  return [];
}

function lookup(scope: Scope, fields: string[]): Col {
  const name = fields[fields.length - 1]!;
  const qualifier = fields.slice(0, -1);
  const out = emptyCol(name);
  out.direct = true;
  const colOf = (rel: Rel) => rel.cols.filter((c) => lc(c.name) === lc(name));
  if (qualifier.length > 0) {
    const items = findItem(scope, qualifier, true);
    if (items.length === 0) {
      out.unknown.push(`${fields.join('.')}: ${qualifier.join('.')} is not in the FROM clause`);
      return out;
    }
    const rel = items[0]!.rel;
    const hit = colOf(rel);
    if (hit.length > 0) hit.forEach((c) => merge(out, c));
    else out.unknown.push(rel.star !== undefined ? `${fields.join('.')} comes from * over ${rel.star}` : `${qualifier.join('.')} has no column ${name}`);
    if (hit.length === 1) out.direct = hit[0]!.direct;
    return out;
  }
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const hits = s.items.flatMap((i) => colOf(i.rel));
    const vague = s.items.filter((i) => i.rel.star !== undefined);
    if (hits.length === 1 && vague.length === 0) {
      merge(out, hits[0]!);
      out.direct = hits[0]!.direct;
      return out;
    }
    if (hits.length > 1 && (s.using.has(lc(name)) || s.using.has('\u0000natural'))) {
      hits.forEach((c) => merge(out, c));
      out.direct = false;
      return out;
    }
    if (hits.length > 1) {
      out.unknown.push(`${name} is in more than one relation of the FROM clause`);
      return out;
    }
    if (vague.length > 0) {
      hits.forEach((c) => merge(out, c));
      out.unknown.push(`${name} may come from * over ${vague.map((v) => v.rel.star).join(' or ')}`);
      return out;
    }
  }
  out.unknown.push(`no relation in the FROM clause has a column ${name}`);
  return out;
}

/** The upstream columns an expression reads: every column reference in it, subqueries included. */
function evalExpr(node: unknown, scope: Scope, ctes: Ctes, relations: RelationIndex): Col {
  if (isObj(node) && 'ColumnRef' in node) {
    const fields = ((node.ColumnRef as Obj).fields as PgNode[] | undefined) ?? [];
    return lookup(scope, fields.map(str));
  }
  const out = emptyCol('');
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if ('ColumnRef' in v) {
      const fields = ((v.ColumnRef as Obj).fields as PgNode[] | undefined) ?? [];
      if (fields.length > 0 && 'A_Star' in fields[fields.length - 1]!) return; // count(*)
      merge(out, lookup(scope, fields.map(str)));
      return;
    }
    if ('SubLink' in v) {
      const sl = v.SubLink as Obj;
      walk(sl.testexpr);
      const sub = resolveStmt(sl.subselect as PgNode, ctes, relations, scope);
      for (const c of sub.cols) merge(out, c);
      if (sub.star !== undefined) out.unknown.push(`a subquery reads * over ${sub.star}`);
      return;
    }
    for (const [k, child] of Object.entries(v)) if (k !== 'location') walk(child);
  };
  walk(node);
  return out;
}

/** The name PostgreSQL gives an unaliased select-list expression (FigureColname). */
function figureName(node: PgNode | undefined): string {
  if (!node) return '?column?';
  if ('ColumnRef' in node) {
    const f = node.ColumnRef.fields ?? [];
    return f.length > 0 ? str(f[f.length - 1]!) : '?column?';
  }
  if ('FuncCall' in node) {
    const f = node.FuncCall.funcname ?? [];
    return f.length > 0 ? str(f[f.length - 1]!) : '?column?';
  }
  if ('TypeCast' in node) {
    const inner = figureName(node.TypeCast.arg);
    if (inner !== '?column?') return inner;
    const names = node.TypeCast.typeName?.names ?? [];
    return names.length > 0 ? str(names[names.length - 1]!) : '?column?';
  }
  if ('CaseExpr' in node) return 'case';
  if ('CoalesceExpr' in node) return 'coalesce';
  if ('A_Expr' in node && node.A_Expr.kind === 'AEXPR_NULLIF') return 'nullif';
  if ('MinMaxExpr' in node) return node.MinMaxExpr.op === 'IS_GREATEST' ? 'greatest' : 'least';
  return '?column?';
}
