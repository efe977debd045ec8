//! The spec test suite and the corpus programs' scripts through the library spec runner
//! ([`halowasm_vm::spec::run_paths`]): no command may fail. Skipped commands are those that
//! need floats (or another feature the VM does not run).
mod common;

use halowasm_vm::spec::run_paths;

#[test]
fn spec_corpus_has_no_failures() {
    let Some(corpus) = common::corpus_dir() else { return };
    let paths = [corpus.join("spec"), corpus.join("programs/wast"), corpus.join("programs/wast-io")];
    let report = run_paths(&paths).expect("corpus readable");
    eprintln!("{report}");
    assert!(report.files.len() >= 54 + 36 + 8, "{} files", report.files.len());
    assert_eq!(report.failed, 0, "{report}");
    assert!(report.passed > 6000, "{report}");
    // The corpus README bounds the float-touching executable assertions by 2352.
    assert!(report.skipped <= 2352, "{report}");
}

#[test]
fn bulk_memory_spec_scripts_have_no_failures() {
    let Some(corpus) = common::corpus_dir() else { return };
    let report = run_paths(&[corpus.join("spec-bulk")]).expect("corpus readable");
    eprintln!("{report}");
    assert_eq!(report.files.len(), 4, "{report}");
    assert_eq!(report.failed, 0, "{report}");
    // Only bulk.wast's table operations (table.init, table.copy, elem.drop) are skipped.
    assert!(report.passed > 4700, "{report}");
    assert!(report.skipped <= 40, "{report}");
}
