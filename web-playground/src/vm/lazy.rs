//! The lazy-restore state diagram of one task. The state machine itself (its nodes, which
//! node a task is in, the edges and what moved it) is the model's
//! (`svelab_core::model::lazy`); this module only places the nodes on the drawing's grid.

pub use svelab_core::model::lazy::*;
use svelab_core::Format;

/// Grid position (column, row) for the drawing: columns live, cached, saved; rows
/// FPSIMD, SVE; `exited` below the saved column.
pub fn grid(n: Node) -> (u32, u32) {
    match n {
        Node::State(p, f) => (
            match p {
                Place::Live => 0,
                Place::Cached => 1,
                Place::Saved => 2,
            },
            match f {
                Format::Fpsimd => 0,
                Format::Sve => 1,
            },
        ),
        Node::Exited => (3, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_nodes_share_a_cell() {
        let grids: std::collections::HashSet<_> = Node::ALL.iter().map(|n| grid(*n)).collect();
        assert_eq!(grids.len(), Node::ALL.len());
    }
}
