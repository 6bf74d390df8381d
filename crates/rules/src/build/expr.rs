//! What a raw expression calls, decided once: the front ends say what each node is
//! ([`RawExpr`]); the walk and the volatility of the functions are here.

use crate::model::{DefaultExpr, Name, NON_VOLATILE_FUNCS, VOLATILE_FUNCS};

/// Expressions deeper than this count as calling nothing (a parse tree can be deeper than the
/// stack allows to walk).
pub const MAX_EXPR_DEPTH: usize = 1000;

/// One node of a raw (unanalyzed) expression, as far as function calls go.
pub enum ExprNode<E> {
    /// A function call: the function's unqualified name and its arguments.
    Call(Name, Vec<E>),
    /// A node whose function calls are its children's (a cast, an operator, `COALESCE`).
    Through(Vec<E>),
    /// Anything else: a constant, a column, or an expression not searched.
    Leaf,
}

/// A front end's expression node.
pub trait RawExpr: Sized {
    fn read(&self) -> ExprNode<Self>;
    /// Called before each node; the server's front end checks its stack here.
    fn enter(&self) {}
}

/// The functions an expression calls, as far as volatility goes: the first known volatile one
/// and the first whose volatility is not known here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls {
    pub volatile: Option<Name>,
    pub unknown: Option<Name>,
}

impl Calls {
    /// A function call in the expression; true once a volatile one is found (the walk stops).
    fn see(&mut self, name: &str) -> bool {
        if VOLATILE_FUNCS.contains(&name) {
            self.volatile.get_or_insert_with(|| Name::new(name));
        } else if !NON_VOLATILE_FUNCS.contains(&name) {
            self.unknown.get_or_insert_with(|| Name::new(name));
        }
        self.volatile.is_some()
    }
}

/// The functions `e` calls, searched depth first until a volatile one is found.
pub fn calls<E: RawExpr>(e: &E) -> Calls {
    let mut c = Calls::default();
    walk(e, 0, &mut c);
    c
}

fn walk<E: RawExpr>(e: &E, depth: usize, c: &mut Calls) -> bool {
    if depth > MAX_EXPR_DEPTH {
        return false;
    }
    e.enter();
    match e.read() {
        ExprNode::Call(name, args) => c.see(&name) || args.iter().any(|a| walk(a, depth + 1, c)),
        ExprNode::Through(children) => children.iter().any(|a| walk(a, depth + 1, c)),
        ExprNode::Leaf => false,
    }
}

/// What a default expression is known to be, from the functions it calls.
pub fn default_expr(calls: Calls) -> DefaultExpr {
    match calls {
        Calls {
            volatile: Some(f), ..
        } => DefaultExpr::Volatile(f),
        Calls {
            unknown: Some(f), ..
        } => DefaultExpr::Unknown(f),
        _ => DefaultExpr::Constant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test expression: a call, a pass-through node, or a leaf.
    enum T {
        F(&'static str, Vec<T>),
        Op(Vec<T>),
        K,
    }
    impl RawExpr for &T {
        fn read(&self) -> ExprNode<Self> {
            match self {
                T::F(n, a) => ExprNode::Call(Name::new(n), a.iter().collect()),
                T::Op(a) => ExprNode::Through(a.iter().collect()),
                T::K => ExprNode::Leaf,
            }
        }
    }

    #[test]
    fn volatile_under_operators_and_calls() {
        let e = T::Op(vec![
            T::K,
            T::F("lower", vec![T::Op(vec![T::F("random", vec![])])]),
        ]);
        assert_eq!(calls(&&e).volatile.as_deref(), Some("random"));
        assert_eq!(
            default_expr(calls(&&e)),
            DefaultExpr::Volatile(Name::new("random"))
        );
    }

    #[test]
    fn unknown_and_constant() {
        let e = T::F("my_func", vec![T::F("now", vec![])]);
        let c = calls(&&e);
        assert_eq!(c.volatile, None);
        assert_eq!(default_expr(c), DefaultExpr::Unknown(Name::new("my_func")));
        assert_eq!(default_expr(calls(&&T::K)), DefaultExpr::Constant);
    }

    #[test]
    fn too_deep_counts_as_no_call() {
        let mut e = T::F("random", vec![]);
        for _ in 0..=MAX_EXPR_DEPTH {
            e = T::Op(vec![e]);
        }
        assert_eq!(calls(&&e), Calls::default());
    }
}
