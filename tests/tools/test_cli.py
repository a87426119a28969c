"""The command-line entry points exist and work as far as they go (issue 6 fills them)."""
from click.testing import CliRunner

import noodle
from noodle.tools import noodle_opt, noodlec

NIR_MODULE = """
func.func @f(%a: memref<?xf64, strided<[?], offset: ?>>) -> memref<?xf64, strided<[?], offset: ?>> {
  %r = "nir.unary"(%a) {kind = "exp", dtype = "float64"} : (memref<?xf64, strided<[?], offset: ?>>) -> memref<?xf64, strided<[?], offset: ?>>
  return %r : memref<?xf64, strided<[?], offset: ?>>
}
"""


def test_noodlec_reports_its_version():
    result = CliRunner().invoke(noodlec.main, ["--version"])
    assert result.exit_code == 0
    assert noodle.__version__ in result.output


def test_noodle_opt_parses_and_verifies_nir():
    result = CliRunner().invoke(noodle_opt.main, ["-"], input=NIR_MODULE)
    assert result.exit_code == 0, result.output
    assert '"nir.unary"' in result.output


def test_noodle_opt_rejects_an_nir_op_missing_an_attribute():
    broken = NIR_MODULE.replace('kind = "exp", ', "")
    result = CliRunner().invoke(noodle_opt.main, ["-"], input=broken)
    assert result.exit_code == 1
    assert "kind" in result.output
