//! Helpers that several rules use to read their statement.

use super::prelude::*;

pub(crate) fn q(name: &str) -> String {
    format!("\"{}\"", name)
}

pub(crate) fn alter_cmds<'a>(i: &'a Input) -> Option<(&'a QualName, &'a [AlterCmd])> {
    match &i.stmt.stmt {
        Stmt::AlterTable { table, cmds, .. } if !i.is_new(table) => Some((table, cmds)),
        _ => None,
    }
}

pub(crate) fn added_constraints<'a>(
    i: &'a Input,
    kind: ConstraintKind,
) -> Vec<(&'a QualName, &'a Constraint)> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    let mut v = Vec::new();
    for c in cmds {
        match c {
            AlterCmd::AddConstraint(con) if con.kind == kind => v.push((table, con)),
            AlterCmd::AddColumn { column, .. } => {
                for con in &column.constraints {
                    if con.kind == kind {
                        v.push((table, con));
                    }
                }
            }
            _ => {}
        }
    }
    v
}

pub(crate) fn con_name(c: &Constraint) -> String {
    c.name
        .as_deref()
        .map(q)
        .unwrap_or_else(|| "(unnamed)".into())
}

pub(crate) fn version(i: &Input) -> u32 {
    i.catalog.server_version_num().unwrap_or(180000)
}

pub(crate) fn added_columns<'a>(i: &'a Input) -> Vec<(&'a QualName, &'a ColumnDef)> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            // ADD COLUMN IF NOT EXISTS of a column that exists is a no-op
            AlterCmd::AddColumn {
                column,
                if_not_exists: true,
            } if i.catalog.column_exists(table, &column.name) == Some(true) => None,
            AlterCmd::AddColumn { column, .. } => Some((table, column)),
            _ => None,
        })
        .collect()
}

pub(crate) fn rename(i: &Input, kinds: &[ObjectKind], what: &str) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Rename {
            kind,
            target,
            column,
            new_name,
        } if kinds.contains(kind) && !i.is_new(target) => {
            let old = column.clone().unwrap_or_else(|| target.to_string().into());
            vec![Hit::on(
                target,
                format!(
                    "renaming {} {} to {} breaks running code that still uses the old name",
                    what,
                    q(&old),
                    q(new_name)
                ),
            )]
        }
        _ => vec![],
    }
}

pub(crate) fn unbatched(i: &Input) -> Vec<Hit> {
    let (table, verb) = match &i.stmt.stmt {
        Stmt::Update {
            table,
            has_where: false,
        } => (table, "UPDATE"),
        Stmt::Delete {
            table,
            has_where: false,
        } => (table, "DELETE"),
        _ => return vec![],
    };
    if i.is_new(table) {
        return vec![];
    }
    vec![Hit::on(
        table,
        format!(
            "{} without WHERE touches every row of {} in one transaction, locking each row until it commits",
            verb,
            q(&table.to_string())
        ),
    )]
}

/// Columns a statement defines: in CREATE TABLE and ADD COLUMN.
pub(crate) fn defined_columns<'a>(i: &'a Input) -> Vec<(&'a QualName, &'a ColumnDef)> {
    match &i.stmt.stmt {
        Stmt::CreateTable { table, columns, .. } => columns.iter().map(|c| (table, c)).collect(),
        Stmt::AlterTable { table, cmds, .. } => cmds
            .iter()
            .filter_map(|c| match c {
                AlterCmd::AddColumn { column, .. } => Some((table, column)),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

pub(crate) fn type_advice(i: &Input, pick: fn(&TypeName) -> Option<String>) -> Vec<Hit> {
    let mut v: Vec<Hit> = defined_columns(i)
        .into_iter()
        .filter_map(|(t, c)| {
            pick(&c.type_name).map(|why| {
                Hit::on(
                    t,
                    format!("column {} of {}: {}", q(&c.name), q(&t.to_string()), why),
                )
            })
        })
        .collect();
    if let Some((t, cmds)) = match &i.stmt.stmt {
        Stmt::AlterTable { table, cmds, .. } => Some((table, cmds)),
        _ => None,
    } {
        for c in cmds {
            if let AlterCmd::AlterColumnType {
                column, new_type, ..
            } = c
            {
                if let Some(why) = pick(new_type) {
                    v.push(Hit::on(
                        t,
                        format!("column {} of {}: {}", q(column), q(&t.to_string()), why),
                    ));
                }
            }
        }
    }
    v
}

/// The subcommands of an `ALTER TABLE` (none for any other statement).
pub(crate) fn alter_subcommands(stmt: &Stmt) -> &[AlterCmd] {
    match stmt {
        Stmt::AlterTable { cmds, .. } => cmds,
        _ => &[],
    }
}

/// Does the statement add a column whose values PostgreSQL generates per row (serial,
/// identity, stored generated)?
pub(crate) fn adds_generated_values(stmt: &Stmt) -> bool {
    alter_subcommands(stmt).iter().any(|c| {
        matches!(c, AlterCmd::AddColumn { column, .. }
            if column.identity || column.generated_stored || is_serial(&column.type_name))
    })
}

/// The message of a rewrite that fills new columns.
pub(crate) fn fills_every_row(e: &RewriteEvent) -> String {
    let cols: Vec<String> = alter_subcommands(e.stmt)
        .iter()
        .filter_map(|c| match c {
            AlterCmd::AddColumn { column, .. } => Some(q(&column.name)),
            _ => None,
        })
        .collect();
    format!(
        "adding column {} fills every row and rewrites table {}",
        cols.join(", "),
        e.table
    )
}

/// The safe path for a constraint added to a partitioned table, written out with its
/// partitions' names (`None`: the table is not known to be partitioned, or the constraint is
/// not one `ALTER TABLE ... ADD` of its own whose text can be reused).
pub(crate) fn partitioned_constraint_hint(
    i: &Input,
    table: &QualName,
    c: &Constraint,
) -> Option<String> {
    let parts = i.partitions(table)?;
    let suffix = match c.kind {
        ConstraintKind::ForeignKey => "fkey",
        ConstraintKind::Check => "check",
        ConstraintKind::PrimaryKey => "pkey",
        _ => "key",
    };
    let name = c.name.as_ref().map_or_else(
        || partition::default_constraint_name(table, &c.columns, suffix),
        |n| n.to_string(),
    );
    match c.kind {
        ConstraintKind::ForeignKey => {
            let def = partition::added_constraint_def(&i.stmt.text)?;
            Some(partition::foreign_key_recipe(
                table,
                &name,
                def,
                &parts,
                version(i),
            ))
        }
        ConstraintKind::Check => {
            let def = partition::added_constraint_def(&i.stmt.text)?;
            Some(partition::check_recipe(table, &name, def))
        }
        ConstraintKind::PrimaryKey | ConstraintKind::Unique if !c.columns.is_empty() => {
            Some(partition::unique_recipe(
                table,
                &name,
                c.kind == ConstraintKind::PrimaryKey,
                &c.columns,
                &parts,
            ))
        }
        _ => None,
    }
}
