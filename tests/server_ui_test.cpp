// The browser UI as the server delivers it: the page at "/", its scripts and styles at /ui/* with
// their content types and no stale caching, behind --api-auth like every endpoint; and
// /fluxgen/v1/detectors, the ADetailer models the page offers. (tests/browser drives the page itself
// in Chromium.)
#include <gtest/gtest.h>

#include "server_test_support.h"

namespace fluxgen::test {
namespace {

class ServerUi : public ServerSuite {
 protected:
  static void SetUpTestSuite() {
    start_server({}, false, [](const std::string& dir) {
      server_fs::create_directories(server_fs::path(dir) / "adetailer");
      server_fs::create_symlink(fixture("yolo/yolov8n_tiny.pt"), server_fs::path(dir) / "adetailer/face_tiny.pt");
    });
  }
};

TEST_F(ServerUi, PageAndAssetsAreServedWithTheirTypes) {
  const HttpAnswer page = server_->get("/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.header("Cache-Control"), "no-cache");
  EXPECT_NE(page.body.find("<title>fluxgen</title>"), std::string::npos);
  EXPECT_NE(page.body.find(R"(src="/ui/app.js")"), std::string::npos);
  EXPECT_NE(page.body.find(R"(href="/ui/style.css")"), std::string::npos);

  for (const char* script : {"/ui/app.js", "/ui/api.js", "/ui/infotext.js", "/ui/mask.js"}) {
    const HttpAnswer a = server_->get(script);
    ASSERT_EQ(a.status, 200) << script;
    EXPECT_EQ(a.header("Content-Type"), "text/javascript; charset=utf-8") << script;
    EXPECT_GT(a.body.size(), 500u) << script;
  }
  const HttpAnswer css = server_->get("/ui/style.css");
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(css.header("Content-Type"), "text/css; charset=utf-8");
  // The page's own files are byte for byte what the source tree has.
  std::ifstream source(std::string(FLUXGEN_TEST_FIXTURES) + "/../../src/server/ui/style.css", std::ios::binary);
  ASSERT_TRUE(source) << "src/server/ui/style.css not found from the fixtures folder";
  EXPECT_EQ(css.body, std::string(std::istreambuf_iterator<char>(source), {}));
}

TEST_F(ServerUi, PathsMatchExactlyAndTheApiIsUnchanged) {
  // "." in a path is not a wildcard, and nothing outside the page's files is served.
  EXPECT_EQ(server_->get("/ui/appXjs").status, 404);
  EXPECT_EQ(server_->get("/ui/").status, 404);
  EXPECT_NE(server_->get("/ui/../CMakeLists.txt").status, 200);
  const HttpAnswer unknown = server_->get("/index.html");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(unknown.json.is_object()) << unknown.body;
  // The API's answers stay as they were.
  const HttpAnswer samplers = server_->get("/sdapi/v1/samplers");
  ASSERT_EQ(samplers.status, 200);
  EXPECT_TRUE(samplers.json.is_array());
}

TEST_F(ServerUi, DetectorsListTheAdetailerFolder) {
  const HttpAnswer a = server_->get("/fluxgen/v1/detectors");
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.json.size(), 1u) << a.body;
  EXPECT_EQ(a.json.at(0).at("name").as_string(), "face_tiny.pt");
  EXPECT_NE(a.json.at(0).at("path").as_string().find("adetailer/face_tiny.pt"), std::string::npos);
  // A file copied in while the server runs is listed without a restart.
  server_fs::create_symlink(fixture("yolo/yolov8n_tiny.pt"), server_fs::path(*models_dir_) / "adetailer/hand_tiny.pt");
  EXPECT_EQ(server_->get("/fluxgen/v1/detectors").json.size(), 2u);
}

TEST(ServerUiAuth, PageNeedsTheCredentialsToo) {
  FLUXGEN_REQUIRE_CLI();
  ServerProcess server(make_models_dir(), {"--api-auth", "alice:s3cret"});
  const HttpAnswer anonymous = server.get("/");
  EXPECT_EQ(anonymous.status, 401);
  // The browser asks for the password when it sees this header.
  EXPECT_EQ(anonymous.header("WWW-Authenticate"), "Basic");
  EXPECT_EQ(server.get("/ui/app.js").status, 401);
  const HttpAnswer allowed = server.get("/", "alice", "s3cret");
  EXPECT_EQ(allowed.status, 200);
  EXPECT_NE(allowed.body.find("<title>fluxgen</title>"), std::string::npos);
}

}  // namespace
}  // namespace fluxgen::test
