//! Reading the server's parse nodes: names, lists, constants, type names, the function calls
//! in an expression, constraints and column definitions, as the model's builders take them.

use super::*;

pub(crate) unsafe fn cstr(p: *const std::ffi::c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

/// A C string as a [`Name`]: no allocation for a short identifier. Inlined, so that the name
/// is built where it goes: returned through memory, it was read back before the stores that
/// wrote it had landed, and every caller stalled on it.
#[inline(always)]
pub(crate) unsafe fn name(p: *const std::ffi::c_char) -> Option<Name> {
    if p.is_null() {
        return None;
    }
    // most identifiers are short ASCII: read a byte at a time into words held in registers
    // (`Name::from_ascii_words`), up to the NUL
    let mut words = [0u64; 3];
    for n in 0..audit_rules::name::INLINE {
        let b = *p.add(n) as u8;
        if b == 0 {
            return Some(Name::from_ascii_words(words, n).unwrap_or_else(|| long_name(p)));
        }
        words[n / 8] |= (b as u64) << (8 * (n % 8));
    }
    Some(long_name(p))
}

/// [`name`] of a name that is long or not ASCII.
#[cold]
#[inline(never)]
pub(crate) unsafe fn long_name(p: *const std::ffi::c_char) -> Name {
    let bytes = CStr::from_ptr(p).to_bytes();
    match std::str::from_utf8(bytes) {
        Ok(s) => Name::new(s),
        Err(_) => Name::from(String::from_utf8_lossy(bytes).into_owned()),
    }
}

pub(crate) unsafe fn tag(node: *mut pg_sys::Node) -> Option<pg_sys::NodeTag> {
    if node.is_null() {
        None
    } else {
        Some((*node).type_)
    }
}

pub(crate) unsafe fn nodes(
    list: *mut pg_sys::List,
) -> impl ExactSizeIterator<Item = *mut pg_sys::Node> {
    // the cells are read in place (no copy of the list, no call per cell): this runs for
    // every list of every statement
    let (cells, len) = if list.is_null() {
        (std::ptr::null_mut(), 0)
    } else {
        ((*list).elements, (*list).length.max(0) as usize)
    };
    (0..len).map(move |i| (*cells.add(i)).ptr_value as *mut pg_sys::Node)
}

/// The text of a `String` node.
pub(crate) unsafe fn string_val(node: *mut pg_sys::Node) -> Option<Name> {
    if tag(node)? == pg_sys::NodeTag::T_String {
        name((*(node as *mut pg_sys::String)).sval)
    } else {
        None
    }
}

/// The last `String` node of a list (a type's or function's own name), without copying the
/// qualifying names before it.
pub(crate) unsafe fn last_string(list: *mut pg_sys::List) -> Option<Name> {
    let last = nodes(list).last()?;
    string_val(last)
}

pub(crate) unsafe fn strings(list: *mut pg_sys::List) -> Vec<Name> {
    nodes(list).filter_map(|n| string_val(n)).collect()
}

pub(crate) unsafe fn range_var(rv: *mut pg_sys::RangeVar) -> QualName {
    if rv.is_null() {
        return QualName::new(None, "");
    }
    QualName {
        schema: name((*rv).schemaname),
        name: name((*rv).relname).unwrap_or_default(),
    }
}

pub(crate) unsafe fn a_const_value(node: *mut pg_sys::Node) -> Option<String> {
    match tag(node)? {
        pg_sys::NodeTag::T_A_Const => {
            let c = node as *mut pg_sys::A_Const;
            if (*c).isnull {
                return None;
            }
            let v = &(*c).val;
            match v.node.type_ {
                pg_sys::NodeTag::T_Integer => Some(v.ival.ival.to_string()),
                pg_sys::NodeTag::T_Float => cstr(v.fval.fval),
                pg_sys::NodeTag::T_String => cstr(v.sval.sval),
                pg_sys::NodeTag::T_Boolean => Some(v.boolval.boolval.to_string()),
                _ => None,
            }
        }
        pg_sys::NodeTag::T_TypeCast => a_const_value((*(node as *mut pg_sys::TypeCast)).arg),
        _ => None,
    }
}

/// An integer constant (a type modifier) read in place: `a_const_value` and a parse back
/// cost an allocation for every `varchar(n)` and `numeric(p,s)`.
pub(crate) unsafe fn a_const_int(node: *mut pg_sys::Node) -> Option<i64> {
    if tag(node)? != pg_sys::NodeTag::T_A_Const {
        return a_const_value(node)?.parse().ok();
    }
    let c = node as *mut pg_sys::A_Const;
    if !(*c).isnull && (*c).val.node.type_ == pg_sys::NodeTag::T_Integer {
        Some((*c).val.ival.ival as i64)
    } else {
        a_const_value(node)?.parse().ok()
    }
}

pub(crate) unsafe fn type_name(tn: *mut pg_sys::TypeName) -> model::TypeName {
    if tn.is_null() {
        return model::TypeName::new("", vec![]);
    }
    let type_name = last_string((*tn).names).unwrap_or_default();
    let mods = nodes((*tn).typmods)
        .filter_map(|n| a_const_int(n))
        .collect();
    let mut t = model::TypeName::new(&type_name, mods);
    t.array = !(*tn).arrayBounds.is_null();
    t
}

/// A raw expression node, as `build::calls` walks it.
struct Expr(*mut pg_sys::Node);

impl build::RawExpr for Expr {
    fn read(&self) -> build::ExprNode<Self> {
        let one = |n: *mut pg_sys::Node| (!n.is_null()).then_some(Expr(n));
        // SAFETY: null or a node of the raw parse tree (`calls`' contract), read by its tag
        unsafe {
            match tag(self.0) {
                Some(pg_sys::NodeTag::T_FuncCall) => {
                    let f = self.0 as *mut pg_sys::FuncCall;
                    let func = last_string((*f).funcname).unwrap_or_default();
                    build::ExprNode::Call(func, nodes((*f).args).map(Expr).collect())
                }
                Some(pg_sys::NodeTag::T_TypeCast) => build::ExprNode::Through(
                    one((*(self.0 as *mut pg_sys::TypeCast)).arg)
                        .into_iter()
                        .collect(),
                ),
                Some(pg_sys::NodeTag::T_A_Expr) => {
                    let e = self.0 as *mut pg_sys::A_Expr;
                    build::ExprNode::Through(
                        one((*e).lexpr).into_iter().chain(one((*e).rexpr)).collect(),
                    )
                }
                Some(pg_sys::NodeTag::T_CoalesceExpr) => build::ExprNode::Through(
                    nodes((*(self.0 as *mut pg_sys::CoalesceExpr)).args)
                        .map(Expr)
                        .collect(),
                ),
                _ => build::ExprNode::Leaf,
            }
        }
    }

    fn enter(&self) {
        // SAFETY: reads the backend's stack base; raises a PostgreSQL ERROR when too deep
        unsafe { pg_sys::check_stack_depth() }
    }
}

/// The functions a raw expression calls. `node`: null or a node of a raw parse tree.
pub(crate) unsafe fn calls(node: *mut pg_sys::Node) -> build::Calls {
    build::calls(&Expr(node))
}

/// The column of `col IS NOT NULL`.
pub(crate) unsafe fn not_null_check_column(expr: *mut pg_sys::Node) -> Option<Name> {
    if tag(expr)? != pg_sys::NodeTag::T_NullTest {
        return None;
    }
    let nt = expr as *mut pg_sys::NullTest;
    if (*nt).nulltesttype != pg_sys::NullTestType::IS_NOT_NULL {
        return None;
    }
    let arg = (*nt).arg as *mut pg_sys::Node;
    if tag(arg)? != pg_sys::NodeTag::T_ColumnRef {
        return None;
    }
    last_string((*(arg as *mut pg_sys::ColumnRef)).fields)
}

/// A constraint's type, decided once per value (`pgver::memoized`).
pub(crate) fn constr_type(v: pg_sys::ConstrType::Type) -> build::ConstrType {
    static TABLE: std::sync::OnceLock<Vec<build::ConstrType>> = std::sync::OnceLock::new();
    pgver::memoized(&TABLE, v, |v| {
        build::ConstrType::from_name(pgver::constr_type(v))
    })
}

pub(crate) unsafe fn raw_constraint(c: *mut pg_sys::Constraint) -> build::RawConstraint {
    let expr = (*c).raw_expr;
    build::RawConstraint {
        contype: constr_type((*c).contype),
        name: name((*c).conname),
        keys: strings((*c).keys),
        fk_attrs: strings((*c).fk_attrs),
        not_valid: (*c).skip_validation,
        index_name: name((*c).indexname),
        pk_table: (!(*c).pktable.is_null()).then(|| range_var((*c).pktable)),
        expr_not_null_column: not_null_check_column(expr),
        expr_calls: calls(expr),
        generated_virtual: pgver::generated_virtual(c),
    }
}

pub(crate) unsafe fn column_def(cd: *mut pg_sys::ColumnDef) -> ColumnDef {
    let constraints = nodes((*cd).constraints)
        .filter(|n| tag(*n) == Some(pg_sys::NodeTag::T_Constraint))
        .map(|n| raw_constraint(n as *mut pg_sys::Constraint));
    build::column_def(
        name((*cd).colname).unwrap_or_default(),
        type_name((*cd).typeName),
        constraints,
    )
}
