import Foundation
import KesuKernel
import KesuRendering
import KesuTestSupport
import Testing

/// The rules in Chinese for the console's rules desk: conditions, targets, why a row did not match, clocks, ladders.
@Suite struct RulesTextTests {
    let text = RulesText(pack: TestPack.make())

    @Test func conditionsAndTargetsReadAsSentences() {
        #expect(text.condition(FieldCondition(field: "category", test: .equals("service"))) == "分类为“服务”")
        #expect(text.condition(FieldCondition(field: "category", test: .oneOf(["license", "delivery"]))) == "分类为“许可证”、“送货”之一")
        #expect(text.condition(FieldCondition(field: "region", test: .missing(false))) == "区域已填写")
        #expect(text.conditions([]) == "任何情况")
        #expect(text.target(.unit("center")) == "中心")
        #expect(text.target(.regionUnit).hasPrefix("案件所在区域的单位（北县→"))
    }

    @Test func missesSayWhatTheCaseHadAndWhatTheRowWanted() throws {
        let r = try Explainer(pack: TestPack.make()).routing(["category": "delivery", "kind": "complaint"])
        #expect(r.skipped[0].misses.map(text.miss) == ["分类是“送货”，不在“许可证”之中", "区域未填写"])
        #expect(r.skipped[1].misses.map(text.miss) == ["分类是“送货”，不是“服务”"])
        #expect(text.miss(.regionHasNoUnit("city")) == "区域“城区”没有所属单位")
        #expect(text.miss(.regionMissing) == "区域未填写，无法按区域确定承办单位")
    }

    @Test func clockLengthsAndLadderSteps() {
        #expect(text.length(.workingDays(3, .endOfDay)) == "3个工作日，第3个工作日下班时（18:00）到期")
        #expect(text.length(.workingMinutes(240)) == "4个工作小时")
        #expect(RulesText.when(.share(0.5)) == "时限过半时")
        #expect(RulesText.when(.share(1)) == "到期时")
        #expect(RulesText.when(.afterDue(minutes: 480)) == "逾期后8个工作小时")
        #expect(RulesText.permission(.rulesAdmin) == "管理规则与账号")
        #expect(text.step(IntakeDef.transitionID) == "受理登记")
    }
}
