import KesuKernel

extension Permission {
    /// What the permission lets a person do, as the administrator reads it.
    public var name: String {
        switch self {
        case .personalData: "查看投诉人个人信息"
        case .reports: "查看考核与报告"
        case .rulesAdmin: "管理规则与账号"
        }
    }
}

extension RoleDef.Scope {
    public var name: String {
        switch self {
        case .all: "全部案件"
        case .handlingUnit: "本单位承办的案件"
        }
    }
}

extension PersonalDataView.Channel {
    /// Where the data was shown.
    public var name: String {
        switch self {
        case .console: "网页工作台"
        case .api: "API"
        case .cli: "命令行"
        }
    }
}

extension OutboxItem.Status {
    public var name: String {
        switch self {
        case .pending: "待发送"
        case .delivered: "已送达"
        case .failed: "发送失败"
        }
    }
}

extension KesuKernel.Notification.Kind {
    public var name: String {
        switch self {
        case .reminder: "到期提醒"
        case .escalation: "逾期升级"
        case .violation: "违规记录"
        case .calendar: "节假日日历"
        case .extensionRequest: "延期申请"
        case .event: "案件事件推送"
        }
    }
}
