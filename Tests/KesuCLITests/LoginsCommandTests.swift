import Foundation
import KesuTestSupport
import Testing

/// `kesu logins`: console logins from the shell, the password always on standard input.
@Suite("kesu logins")
struct LoginsCommandTests {
    func run(_ cli: KesuCLI, _ args: [String], input: String? = nil) throws -> KesuCLI.Result {
        try KesuProcess.run(args + ["--rules", KesuCLI.pack("tobacco-prefecture"), "--db", cli.db], in: cli.dir, input: input)
    }

    @Test("add reads the password from stdin, list shows the login but never its password, disable and enable mark it")
    func addListDisable() throws {
        let cli = try KesuCLI()
        let added = try run(cli, ["logins", "add", "--person", "zhao_min", "--username", "zhaomin", "--password-stdin"], input: "Clerk-pass-1\n")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("login zhaomin for 赵敏(zhao_min)"))
        let list = try run(cli, ["logins", "list"])
        #expect(list.stdout.contains("zhaomin  zhao_min  赵敏"))
        #expect(!list.stdout.contains("Clerk-pass-1") && !list.stdout.contains("$2b$"))
        #expect(try run(cli, ["logins", "disable", "zhaomin"]).status == 0)
        #expect(try run(cli, ["logins", "list"]).stdout.contains("disabled"))
        #expect(try run(cli, ["logins", "enable", "zhaomin"]).status == 0)
        #expect(!(try run(cli, ["logins", "list"]).stdout.contains("disabled")))
    }

    @Test("a weak password, an unknown person and a taken user name are refused and write nothing")
    func refusals() throws {
        let cli = try KesuCLI()
        let weak = try run(cli, ["logins", "add", "--person", "zhao_min", "--username", "zhaomin", "--password-stdin"], input: "short\n")
        #expect(weak.status != 0 && weak.stderr.contains("至少 8 个字符"))
        let unknown = try run(cli, ["logins", "add", "--person", "zhao_mni", "--username", "zm", "--password-stdin"], input: "Clerk-pass-1\n")
        #expect(unknown.status != 0 && unknown.stderr.contains("zhao_min"), "suggests the nearest person")
        #expect(try run(cli, ["logins", "list"]).stdout.contains("0 login(s)"))
        _ = try run(cli, ["logins", "add", "--person", "zhao_min", "--username", "zhaomin", "--password-stdin"], input: "Clerk-pass-1\n")
        let taken = try run(cli, ["logins", "add", "--person", "sun_li", "--username", "ZhaoMin", "--password-stdin"], input: "Clerk-pass-2\n")
        #expect(taken.status != 0 && taken.stderr.contains("已被使用"))
        let noStdin = try run(cli, ["logins", "add", "--person", "sun_li", "--username", "sunli"])
        #expect(noStdin.status != 0 && noStdin.stderr.contains("--password-stdin"))
    }
}
