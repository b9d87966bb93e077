# Homebrew formula for prochist.
#
#   brew install --HEAD ./packaging/homebrew/prochist.rb   # from a checkout
#   brew services start prochist                          # record into the default database
#   prochist doctor                                       # what this Mac can measure
#
# The repository has no release yet: the formula builds from `head`. At the
# first release add `url` (the tag's tarball) and its `sha256` above `head`.
# The build is offline: `make install` only checks that pkg-config finds
# sqlite3 and libcjson (the dependencies below), it never installs anything.
class Prochist < Formula
  desc "Flight recorder for per-process CPU, memory, disk and energy use"
  homepage "https://github.com/prochist/prochist"
  head "https://github.com/prochist/prochist.git", branch: "main"

  depends_on "pkg-config" => :build
  depends_on "cjson"
  depends_on "sqlite"

  def install
    # Installs bin/prochist, share/man/man1/prochist.1, the bash completion
    # (share/bash-completion/completions) and the zsh one
    # (share/zsh/site-functions): Homebrew's own locations under the prefix.
    system "make", "install", "PREFIX=#{prefix}", "CC=#{ENV.cc}"
  end

  # `brew services start prochist`: a LaunchAgent of the user, recording
  # every 5 s into the default database
  # (~/Library/Application Support/prochist/prochist.db) at low priority.
  service do
    run [opt_bin/"prochist", "record", "--quiet"]
    keep_alive true
    process_type :background
    log_path var/"log/prochist.log"
    error_log_path var/"log/prochist.log"
  end

  test do
    db = testpath/"test.db"
    # two samples, 0.2 s apart, then a query over them
    system bin/"prochist", "record", "--db", db, "--count", "2", "--interval", "0.2", "--quiet"
    samples = shell_output("#{Formula["sqlite"].opt_bin}/sqlite3 #{db} 'select count(*) from sample'")
    assert_equal "2", samples.strip
    top = shell_output("#{bin}/prochist top --db #{db} --by process --since 10m --format json --limit 1000")
    assert_match "\"rows\"", top
    assert_match(/"name":\s*"prochist"/, top)
    assert_match "prochist", shell_output("#{bin}/prochist --version")
    system bin/"prochist", "doctor"
    assert_path_exists man1/"prochist.1"
    assert_path_exists bash_completion/"prochist"
    assert_path_exists zsh_completion/"_prochist"
  end
end
