package synth

// glyph is one character of a given name and its pinyin syllable.
type glyph struct{ han, pinyin string }

var maleGlyphs = []glyph{
	{"伟", "wei"}, {"强", "qiang"}, {"磊", "lei"}, {"军", "jun"}, {"勇", "yong"}, {"杰", "jie"},
	{"涛", "tao"}, {"斌", "bin"}, {"超", "chao"}, {"明", "ming"}, {"刚", "gang"}, {"平", "ping"},
	{"辉", "hui"}, {"鹏", "peng"}, {"华", "hua"}, {"飞", "fei"}, {"鑫", "xin"}, {"波", "bo"},
	{"宁", "ning"}, {"浩", "hao"}, {"宇", "yu"}, {"峰", "feng"}, {"建", "jian"}, {"国", "guo"},
	{"志", "zhi"}, {"文", "wen"}, {"海", "hai"}, {"东", "dong"}, {"林", "lin"}, {"亮", "liang"},
	{"成", "cheng"}, {"龙", "long"}, {"俊", "jun"}, {"晨", "chen"}, {"凯", "kai"}, {"博", "bo"},
	{"健", "jian"}, {"振", "zhen"}, {"新", "xin"}, {"民", "min"}, {"永", "yong"}, {"庆", "qing"},
	{"家", "jia"}, {"德", "de"}, {"福", "fu"}, {"春", "chun"}, {"生", "sheng"}, {"立", "li"},
	{"金", "jin"}, {"山", "shan"}, {"洋", "yang"}, {"晓", "xiao"}, {"子", "zi"}, {"轩", "xuan"},
	{"昊", "hao"}, {"睿", "rui"}, {"然", "ran"}, {"阳", "yang"}, {"泽", "ze"}, {"帅", "shuai"},
	{"旭", "xu"}, {"坤", "kun"}, {"宏", "hong"}, {"光", "guang"}, {"卫", "wei"}, {"兵", "bing"},
	{"忠", "zhong"}, {"学", "xue"}, {"利", "li"}, {"胜", "sheng"}, {"江", "jiang"},
	{"诚", "cheng"}, {"瑞", "rui"}, {"栋", "dong"}, {"锋", "feng"}, {"祥", "xiang"},
	{"荣", "rong"}, {"宝", "bao"}, {"顺", "shun"}, {"世", "shi"}, {"奇", "qi"}, {"松", "song"},
	{"毅", "yi"}, {"哲", "zhe"}, {"铭", "ming"}, {"恒", "heng"}, {"翔", "xiang"}, {"启", "qi"},
	{"航", "hang"}, {"嘉", "jia"}, {"钧", "jun"}, {"耀", "yao"}, {"安", "an"}, {"恩", "en"},
	{"广", "guang"}, {"正", "zheng"},
}

var femaleGlyphs = []glyph{
	{"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"丽", "li"}, {"艳", "yan"},
	{"娟", "juan"}, {"霞", "xia"}, {"燕", "yan"}, {"玲", "ling"}, {"秀", "xiu"}, {"英", "ying"},
	{"婷", "ting"}, {"雪", "xue"}, {"慧", "hui"}, {"梅", "mei"}, {"琳", "lin"}, {"颖", "ying"},
	{"红", "hong"}, {"莉", "li"}, {"萍", "ping"}, {"洁", "jie"}, {"琴", "qin"}, {"云", "yun"},
	{"兰", "lan"}, {"凤", "feng"}, {"华", "hua"}, {"玉", "yu"}, {"珍", "zhen"}, {"桂", "gui"},
	{"翠", "cui"}, {"淑", "shu"}, {"倩", "qian"}, {"欣", "xin"}, {"悦", "yue"}, {"怡", "yi"},
	{"佳", "jia"}, {"雨", "yu"}, {"晶", "jing"}, {"璐", "lu"}, {"露", "lu"}, {"月", "yue"},
	{"春", "chun"}, {"晓", "xiao"}, {"美", "mei"}, {"丹", "dan"}, {"媛", "yuan"}, {"萌", "meng"},
	{"蕾", "lei"}, {"薇", "wei"}, {"琪", "qi"}, {"瑶", "yao"}, {"涵", "han"}, {"诗", "shi"},
	{"梦", "meng"}, {"思", "si"}, {"婉", "wan"}, {"莹", "ying"}, {"爱", "ai"}, {"亚", "ya"},
	{"秋", "qiu"}, {"彩", "cai"}, {"素", "su"}, {"香", "xiang"}, {"菊", "ju"}, {"莲", "lian"},
	{"芬", "fen"}, {"妍", "yan"}, {"嘉", "jia"}, {"文", "wen"}, {"宁", "ning"}, {"梓", "zi"},
	{"若", "ruo"}, {"可", "ke"}, {"心", "xin"}, {"馨", "xin"}, {"安", "an"}, {"雅", "ya"},
	{"艺", "yi"}, {"琦", "qi"},
}

// givenNames are whole two-character given names typical of a generation,
// givenNames[era][sex]: era 0 born before 1966, 1 before 1986, 2 later; sex 0 male, 1 female.
var givenNames = [3][2][]glyph{
	{
		{
			{"建国", "Jianguo"}, {"国强", "Guoqiang"}, {"建华", "Jianhua"}, {"国华", "Guohua"},
			{"振华", "Zhenhua"}, {"德胜", "Desheng"}, {"建军", "Jianjun"}, {"卫东", "Weidong"},
			{"红军", "Hongjun"}, {"永生", "Yongsheng"}, {"志强", "Zhiqiang"}, {"立新", "Lixin"},
			{"庆华", "Qinghua"}, {"长春", "Changchun"}, {"福生", "Fusheng"}, {"金山", "Jinshan"},
			{"玉林", "Yulin"}, {"树林", "Shulin"}, {"春生", "Chunsheng"}, {"学军", "Xuejun"},
			{"爱国", "Aiguo"}, {"胜利", "Shengli"}, {"援朝", "Yuanchao"}, {"保国", "Baoguo"},
			{"国庆", "Guoqing"}, {"德福", "Defu"}, {"成林", "Chenglin"}, {"洪波", "Hongbo"},
			{"振国", "Zhenguo"}, {"明山", "Mingshan"},
		},
		{
			{"秀英", "Xiuying"}, {"桂英", "Guiying"}, {"秀兰", "Xiulan"}, {"玉兰", "Yulan"},
			{"桂兰", "Guilan"}, {"淑珍", "Shuzhen"}, {"凤英", "Fengying"}, {"玉珍", "Yuzhen"},
			{"秀珍", "Xiuzhen"}, {"桂芳", "Guifang"}, {"淑英", "Shuying"}, {"玉梅", "Yumei"},
			{"凤兰", "Fenglan"}, {"秀云", "Xiuyun"}, {"桂珍", "Guizhen"}, {"玉英", "Yuying"},
			{"秀梅", "Xiumei"}, {"淑兰", "Shulan"}, {"美兰", "Meilan"}, {"翠兰", "Cuilan"},
			{"素珍", "Suzhen"}, {"金凤", "Jinfeng"}, {"春梅", "Chunmei"}, {"秀芳", "Xiufang"},
			{"兰英", "Lanying"}, {"玉华", "Yuhua"}, {"爱华", "Aihua"}, {"红梅", "Hongmei"},
			{"丽华", "Lihua"}, {"凤琴", "Fengqin"},
		},
	},
	{
		{
			{"永强", "Yongqiang"}, {"海涛", "Haitao"}, {"建平", "Jianping"}, {"文斌", "Wenbin"},
			{"海军", "Haijun"}, {"晓东", "Xiaodong"}, {"建伟", "Jianwei"}, {"国栋", "Guodong"},
			{"志刚", "Zhigang"}, {"红伟", "Hongwei"}, {"小军", "Xiaojun"}, {"立军", "Lijun"},
			{"卫国", "Weiguo"}, {"明亮", "Mingliang"}, {"永刚", "Yonggang"}, {"宏伟", "Hongwei"},
			{"志勇", "Zhiyong"}, {"晓明", "Xiaoming"}, {"海波", "Haibo"}, {"建明", "Jianming"},
			{"文杰", "Wenjie"}, {"俊峰", "Junfeng"}, {"春雷", "Chunlei"}, {"振宇", "Zhenyu"},
			{"德明", "Deming"}, {"学文", "Xuewen"}, {"海峰", "Haifeng"}, {"志国", "Zhiguo"},
			{"晓军", "Xiaojun"}, {"洪涛", "Hongtao"},
		},
		{
			{"丽娟", "Lijuan"}, {"海燕", "Haiyan"}, {"晓燕", "Xiaoyan"}, {"红霞", "Hongxia"},
			{"丽丽", "Lili"}, {"艳红", "Yanhong"}, {"春燕", "Chunyan"}, {"丽萍", "Liping"},
			{"晓红", "Xiaohong"}, {"小红", "Xiaohong"}, {"秀娟", "Xiujuan"}, {"玉霞", "Yuxia"},
			{"艳玲", "Yanling"}, {"丽敏", "Limin"}, {"彩霞", "Caixia"}, {"晓丽", "Xiaoli"},
			{"美玲", "Meiling"}, {"慧敏", "Huimin"}, {"雪梅", "Xuemei"}, {"红梅", "Hongmei"},
			{"海霞", "Haixia"}, {"亚男", "Yanan"}, {"秋菊", "Qiuju"}, {"凤霞", "Fengxia"},
			{"晓梅", "Xiaomei"}, {"丽红", "Lihong"}, {"冬梅", "Dongmei"}, {"春花", "Chunhua"},
			{"金玲", "Jinling"}, {"艳萍", "Yanping"},
		},
	},
	{
		{
			{"浩然", "Haoran"}, {"子轩", "Zixuan"}, {"宇轩", "Yuxuan"}, {"俊杰", "Junjie"},
			{"浩宇", "Haoyu"}, {"家豪", "Jiahao"}, {"志豪", "Zhihao"}, {"文博", "Wenbo"}, {"博文", "Bowen"},
			{"天宇", "Tianyu"}, {"明轩", "Mingxuan"}, {"梓豪", "Zihao"}, {"鹏飞", "Pengfei"},
			{"晨阳", "Chenyang"}, {"宇航", "Yuhang"}, {"子豪", "Zihao"}, {"一鸣", "Yiming"},
			{"嘉豪", "Jiahao"}, {"昊天", "Haotian"}, {"思远", "Siyuan"}, {"泽宇", "Zeyu"},
			{"皓轩", "Haoxuan"}, {"俊宇", "Junyu"}, {"晨曦", "Chenxi"}, {"鑫磊", "Xinlei"},
			{"雨泽", "Yuze"}, {"子健", "Zijian"}, {"文轩", "Wenxuan"}, {"佳乐", "Jiale"},
			{"凯文", "Kaiwen"},
		},
		{
			{"欣怡", "Xinyi"}, {"梓涵", "Zihan"}, {"诗涵", "Shihan"}, {"思雨", "Siyu"}, {"雨欣", "Yuxin"},
			{"雨涵", "Yuhan"}, {"紫涵", "Zihan"}, {"佳怡", "Jiayi"}, {"可欣", "Kexin"}, {"梦瑶", "Mengyao"},
			{"佳琪", "Jiaqi"}, {"心怡", "Xinyi"}, {"晓雪", "Xiaoxue"}, {"婷婷", "Tingting"},
			{"雪莹", "Xueying"}, {"思琪", "Siqi"}, {"静怡", "Jingyi"}, {"悦然", "Yueran"},
			{"雅婷", "Yating"}, {"佳欣", "Jiaxin"}, {"梦琪", "Mengqi"}, {"若曦", "Ruoxi"},
			{"子涵", "Zihan"}, {"欣妍", "Xinyan"}, {"晓彤", "Xiaotong"}, {"一诺", "Yinuo"},
			{"语嫣", "Yuyan"}, {"舒涵", "Shuhan"}, {"艺馨", "Yixin"}, {"芳芳", "Fangfang"},
		},
	},
}
