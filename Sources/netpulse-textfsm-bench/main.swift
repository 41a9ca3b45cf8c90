import Foundation
import NetPulseTextFSM

// The Swift side of scripts/textfsm-bench.sh, and the regex-engine comparison behind the choice of PCRE2.
//
//   netpulse-textfsm-bench parse TEMPLATE INPUT [ROUNDS]    compile + parse, best of ROUNDS, as JSON
//   netpulse-textfsm-bench engines TEMPLATE INPUT [ROUNDS]  the Start state's rules on every line with
//                                                          PCRE2 (JIT and not), NSRegularExpression, Swift Regex
//   netpulse-textfsm-bench records TEMPLATE INPUT           the records as JSON (for a quick look)
//   netpulse-textfsm-bench repeat TEMPLATE INPUT ROUNDS     compile once, parse ROUNDS times (for callgrind)

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func read(_ path: String) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return String(decoding: data, as: UTF8.self)
}

func best(_ rounds: Int, _ body: () throws -> Int) rethrows -> (seconds: Double, count: Int) {
    var fastest = Double.infinity
    var count = 0
    for _ in 0..<max(1, rounds) {
        let start = now()
        count = try body()
        fastest = min(fastest, now() - start)
    }
    return (fastest, count)
}

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    fail("usage: netpulse-textfsm-bench parse|engines|records TEMPLATE INPUT [ROUNDS]")
}
let templateText = read(arguments[2])
let input = read(arguments[3])
let rounds = arguments.count > 4 ? Int(arguments[4]) ?? 5 : 5
let lineCount = input.split(separator: "\n", omittingEmptySubsequences: false).count

do {
    switch arguments[1] {
    case "parse":
        let compiled = try best(rounds) { try TextFSMTemplate(source: templateText).values.count }
        let template = try TextFSMTemplate(source: templateText)
        let parsed = try best(rounds) { try template.parse(input).count }
        let both = try best(rounds) { try TextFSMTemplate(source: templateText).parse(input).count }
        print(
            #"{"engine": "netpulse", "lines": \#(lineCount), "records": \#(parsed.count), "#
                + #""compile_ms": \#(compiled.seconds * 1000), "parse_ms": \#(parsed.seconds * 1000), "#
                + #""compile_and_parse_ms": \#(both.seconds * 1000)}"#
        )
    case "repeat":
        // Compile once, parse ROUNDS times: for instruction counts (valgrind --tool=callgrind), which the
        // load of a shared machine does not change. Two runs with different ROUNDS give the cost of a parse.
        let template = try TextFSMTemplate(source: templateText)
        var records = 0
        for _ in 0..<rounds { records += try template.parse(input).count }
        print(records)
    case "records":
        print(TextFSMJSON.array(try TextFSMTemplate(source: templateText).parse(input)))
    case "engines":
        try RegexEngines.compare(template: TextFSMTemplate(source: templateText), input: input, rounds: rounds)
    default:
        fail("unknown mode \(arguments[1])")
    }
} catch {
    fail("\(error)")
}
