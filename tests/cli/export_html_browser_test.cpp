// The HTML page of `xigrad explain --format html` in a real browser (Debian's chromium, headless):
// it loads without a script error, and stepping the reverse sweep with the arrow keys and the
// buttons moves the highlight and fills in the adjoints; stepping back restores what was shown.
// The page is written to a fresh temporary folder with a probe script added by this test (the
// shipped page has none): one hook at the top of <head> that records errors, and one at the end
// of <body> that steps and writes what it saw into the DOM, which --dump-dom prints.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_xigrad.hpp"
#include "support/temp_dir.hpp"

namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr const char* kErrorHook = R"(<script>
window.__probeErrors = [];
window.addEventListener("error", (e) => window.__probeErrors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.__probeErrors.push(String(e.reason)));
const __consoleError = console.error;
console.error = (...a) => { window.__probeErrors.push(a.join(" ")); __consoleError(...a); };
</script>
)";

// Steps: → → ← ← (back to the start), next next next prev (step 2), End, Home, then End ← (the
// last step undone) and → (redone).
constexpr const char* kProbe = R"(<script>
(() => {
  const keys = (sel, attr) => Array.from(document.querySelectorAll(sel)).map((e) => e.getAttribute(attr));
  const snap = () => ({
    step: document.body.dataset.step,
    from: keys(".node.hl-from", "data-key"),
    to: keys(".node.hl-to", "data-key"),
    edges: keys(".edge.hl-edge", "data-src").map((s, i) =>
      s + ">" + keys(".edge.hl-edge", "data-dst")[i]),
    rows: keys("tr.hl-to", "data-row"),
    adj: Object.fromEntries(Array.from(document.querySelectorAll(".node [data-adj-key]"))
      .map((e) => [e.dataset.adjKey, e.textContent])),
    table: Object.fromEntries(Array.from(document.querySelectorAll("[data-adj-name]"))
      .map((e) => [e.dataset.adjName, e.textContent])),
    status: (document.getElementById("status") || {}).textContent || "",
  });
  const key = (k) => document.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
  const click = (id) => document.getElementById(id).click();
  const out = { nodes: document.querySelectorAll("svg#graph .node").length, states: [] };
  const record = () => out.states.push(snap());
  record();
  key("ArrowRight"); record();
  key("ArrowRight"); record();
  key("ArrowLeft"); record();
  key("ArrowLeft"); record();
  click("next"); click("next"); click("next"); click("prev"); record();
  key("End"); record();
  key("Home"); record();
  key("End"); key("ArrowLeft"); record();
  key("ArrowRight"); record();
  out.errors = window.__probeErrors;
  const pre = document.createElement("pre");
  pre.id = "probe-result";
  pre.textContent = encodeURIComponent(JSON.stringify(out));
  document.body.appendChild(pre);
})();
</script>
)";

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class HtmlInBrowser : public xi::test::TempDirTest {
 protected:
  // The lecture's page from the command line (by default its scalar L^A).
  std::string page(
      const std::string& args = "'-y*log(1/(1+exp(-w*x)))' --at w=0.5,x=2,y=1 --format html") {
    const xi::test::Outcome r = xi::test::run_xigrad("explain " + args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }

  // Loads `html` (probe added) in headless chromium and returns what the probe recorded.
  Json probe(std::string html) {
    const std::size_t head = html.find("<head>");
    const std::size_t body_end = html.rfind("</body>");
    EXPECT_NE(head, std::string::npos);
    EXPECT_NE(body_end, std::string::npos);
    if (head == std::string::npos || body_end == std::string::npos) return {};
    html.insert(body_end, kProbe);
    html.insert(head + 6, std::string("\n") + kErrorHook);
    const auto file = dir_ / "page.html";
    std::ofstream(file) << html;
    const auto log = dir_ / "chromium.log";
    // Generous timeout for a loaded 2-core machine; nothing here measures time.
    const std::string cmd =
        "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run "
        "--no-default-browser-check --disable-extensions --disable-background-networking "
        "--disable-sync --enable-logging=stderr --v=0 --user-data-dir='" +
        (dir_ / "profile").string() + "' --dump-dom 'file://" + file.string() + "' 2>'" +
        log.string() + "'";
    std::string dom;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      std::size_t n = 0;
      while ((n = fread(buf, 1, sizeof buf, p)) > 0) dom.append(buf, n);
      pclose(p);
    }
    log_ = read(log);
    const std::string open = "<pre id=\"probe-result\">";
    const std::size_t at = dom.find(open);
    const std::size_t end = at == std::string::npos ? at : dom.find("</pre>", at);
    EXPECT_NE(end, std::string::npos)
        << "no probe result from chromium (is it installed? scripts/install-deps.sh)\n"
        << "DOM tail: " << dom.substr(dom.size() > 600 ? dom.size() - 600 : 0)
        << "\nlog tail: " << log_.substr(log_.size() > 1500 ? log_.size() - 1500 : 0);
    if (end == std::string::npos) return {};
    return Json::parse(percent_decode(dom.substr(at + open.size(), end - at - open.size())));
  }

  std::string log_;
};

TEST_F(HtmlInBrowser, LoadsWithoutErrorsAndStepsBothWays) {
  const Json out = probe(page());
  ASSERT_TRUE(out.is_object());
  EXPECT_EQ(out["errors"], Json::array()) << out["errors"].dump();
  EXPECT_THAT(log_, ::testing::Not(HasSubstr("Uncaught")));
  EXPECT_EQ(out["nodes"], 11);  // w, x, y and ξ1 … ξ8
  const Json& s = out["states"];
  ASSERT_EQ(s.size(), 10u);

  // Before the sweep: nothing lit, only the output's adjoint (the seed, 1) shown.
  EXPECT_EQ(s[0]["step"], "0");
  EXPECT_EQ(s[0]["from"], Json::array());
  EXPECT_EQ(s[0]["edges"], Json::array());
  EXPECT_EQ(s[0]["adj"]["xi8"], "1");
  EXPECT_EQ(s[0]["adj"]["xi7"], "");
  EXPECT_EQ(s[0]["adj"]["leaf-w"], "");
  EXPECT_EQ(s[0]["table"]["ξ8"], "1");
  EXPECT_THAT(s[0]["status"].get<std::string>(), HasSubstr("step 0 of 10"));

  // → : ∂L/∂ξ7 += ∂L/∂ξ8 · ∂ξ8/∂ξ7, from ξ8 along the edge ξ7 → ξ8 to ξ7, which gets -1.
  EXPECT_EQ(s[1]["step"], "1");
  EXPECT_EQ(s[1]["from"], Json::array({"xi8"}));
  EXPECT_EQ(s[1]["to"], Json::array({"xi7"}));
  EXPECT_EQ(s[1]["edges"], Json::array({"xi7>xi8"}));
  EXPECT_EQ(s[1]["rows"], Json::array({"ξ7"}));
  EXPECT_EQ(s[1]["adj"]["xi7"], "-1");
  EXPECT_EQ(s[1]["table"]["ξ7"], "-1");
  EXPECT_THAT(s[1]["status"].get<std::string>(), HasSubstr("step 1 of 10: ∂L/∂ξ7 += ∂L/∂ξ8"));

  // → : from ξ7 to the leaf y, whose adjoint is -1 · ξ6 = 0.313262.
  EXPECT_EQ(s[2]["step"], "2");
  EXPECT_EQ(s[2]["from"], Json::array({"xi7"}));
  EXPECT_EQ(s[2]["to"], Json::array({"leaf-y"}));
  EXPECT_EQ(s[2]["edges"], Json::array({"leaf-y>xi7"}));
  EXPECT_EQ(s[2]["adj"]["leaf-y"], "0.313262");

  // ← ← restores each earlier state exactly; the buttons step the same way.
  EXPECT_EQ(s[3], s[1]);
  EXPECT_EQ(s[4], s[0]);
  EXPECT_EQ(s[5], s[2]);

  // End: the last step (ξ1 to x) and every adjoint final; Home: back to the start.
  EXPECT_EQ(s[6]["step"], "10");
  EXPECT_EQ(s[6]["from"], Json::array({"xi1"}));
  EXPECT_EQ(s[6]["to"], Json::array({"leaf-x"}));
  EXPECT_EQ(s[6]["adj"]["leaf-w"], "-0.537883");
  EXPECT_EQ(s[6]["adj"]["leaf-x"], "-0.134471");
  EXPECT_EQ(s[6]["adj"]["xi4"], "0.731059");
  EXPECT_EQ(s[7], s[0]);
  // End then ←: the state of step 9 (x has no adjoint yet); → again: step 10's.
  EXPECT_EQ(s[8]["step"], "9");
  EXPECT_EQ(s[8]["adj"]["leaf-x"], "");
  EXPECT_EQ(s[9], s[6]);
}

// The lecture's vector table: the sweep goes through ξ1 = W·(-X) to the vector leaf W, whose
// adjoint appears as a vector in the graph and in the table at the last step, and is cleared
// again when that step is undone.
TEST_F(HtmlInBrowser, VectorLeafAdjointFlowsAndStepsBack) {
  const Json out = probe(
      page("'-y*log(1/(1+exp(-dot(W,X))))' --at W=[0.5,-1.2] --const X=[2,1],y=1 --format html"));
  ASSERT_TRUE(out.is_object());
  EXPECT_EQ(out["errors"], Json::array()) << out["errors"].dump();
  EXPECT_EQ(out["nodes"], 9);  // W, the constants -X and y, ξ1 … ξ6
  const Json& s = out["states"];
  ASSERT_EQ(s.size(), 10u);
  EXPECT_EQ(s[0]["adj"]["leaf-W"], "");
  EXPECT_EQ(s[0]["table"]["W"], "");
  EXPECT_EQ(s[0]["adj"]["xi6"], "1");
  EXPECT_THAT(s[0]["status"].get<std::string>(), HasSubstr("step 0 of 6"));
  // End: the last step, ξ1 → W, a vector–Jacobian product.
  EXPECT_EQ(s[6]["step"], "6");
  EXPECT_EQ(s[6]["from"], Json::array({"xi1"}));
  EXPECT_EQ(s[6]["to"], Json::array({"leaf-W"}));
  EXPECT_EQ(s[6]["rows"], Json::array({"W"}));
  EXPECT_EQ(s[6]["adj"]["leaf-W"], "[-1.09967, -0.549834]");
  EXPECT_EQ(s[6]["table"]["W"], "[-1.09967, -0.549834]");
  EXPECT_EQ(s[6]["adj"]["xi1"], "0.549834");
  EXPECT_THAT(s[6]["status"].get<std::string>(),
              HasSubstr("0.549834 · [-2, -1] = [-1.09967, -0.549834]"));
  // ←: W's adjoint is not reached yet; ξ1's stays. →: back to the end.
  EXPECT_EQ(s[8]["step"], "5");
  EXPECT_EQ(s[8]["adj"]["leaf-W"], "");
  EXPECT_EQ(s[8]["table"]["W"], "");
  EXPECT_EQ(s[8]["adj"]["xi1"], "0.549834");
  EXPECT_EQ(s[9], s[6]);
}

// The probe notices a broken page: a script error is reported and stepping changes nothing.
TEST_F(HtmlInBrowser, ABrokenScriptIsCaught) {
  std::string html = page();
  const std::string good = "const steps = Array.from(";
  const std::size_t at = html.find(good);
  ASSERT_NE(at, std::string::npos);
  html.replace(at, good.size(), "const steps = Array.fromm(");
  const Json out = probe(html);
  ASSERT_TRUE(out.is_object());
  ASSERT_EQ(out["errors"].size(), 1u);
  EXPECT_THAT(out["errors"][0].get<std::string>(), HasSubstr("fromm"));
  EXPECT_EQ(out["states"][1]["from"], Json::array());
  EXPECT_EQ(out["states"][1]["step"], out["states"][0]["step"]);
}

}  // namespace
