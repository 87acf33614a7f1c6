#include <cstdio>
#include <exception>

#include <unistd.h>

#include "tools/commands/commands.h"
#include "tools/inspection/inspection_deadline.h"
#include "tools/report/printable.h"

int main(int argc, char** argv) {
    using namespace tcpkeep::cli;
    CLI::App app{"tcpkeep: keepalive and user-timeout policy for unmodified programs", "tcpkeep"};
    app.set_version_flag("--version", "tcpkeep " TCPKEEP_VERSION);
    app.require_subcommand(1);
    int status = exit_ok;
    add_check_command(app, status);
    add_explain_command(app, status);
    add_run_command(app, status);
    add_verify_command(app, status);
    add_audit_command(app, status);
    add_apply_command(app, status);
    add_env_command(app, status);
    add_cgroup_commands(app, status);
    add_watch_command(app, status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);  // prints help/version on stdout, errors on stderr
        return code == 0 ? exit_ok : exit_error;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tcpkeep: %s\n", printable(e.what()).c_str());
        return exit_error;
    }
    if (inspection_abandoned()) {  // a thread may still wait in the kernel: no static destructors under it
        std::fflush(nullptr);
        ::_exit(status);
    }
    return status;
}
