package resolve

// Code below is data: the pinyin of the Han characters common in Chinese
// names (surnames and given-name characters), without tones, one reading
// each — the reading a name takes (单 shan, 曾 zeng, 仇 qiu, 朴 piao).
// Characters missing here are kept as they are, so two Han names still
// compare exactly; only the meeting with a pinyin spelling needs them.
const pinyinTable = `
丁ding 万wan 世shi 丛cong 东dong 严yan 丹dan 丽li 乔qiao 于yu 云yun 亚ya 亮liang 仇qiu 付fu 任ren
伍wu 伟wei 何he 余yu 佳jia 侯hou 俊jun 俞yu 倩qian 倪ni 健jian 光guang 兰lan 关guan 兵bing 冉ran
军jun 冯feng 凌ling 凤feng 凯kai 刘liu 刚gang 初chu 利li 勇yong 包bao 华hua 单shan 博bo 卢lu 卫wei
可ke 史shi 叶ye 向xiang 吕lyu 启qi 吴wu 周zhou 哲zhe 唐tang 喻yu 嘉jia 国guo 坤kun 夏xia 奇qi
妍yan 姚yao 姜jiang 姬ji 娜na 娟juan 婉wan 婷ting 媛yuan 子zi 孔kong 孙sun 孟meng 季ji 学xue 宁ning
宇yu 安an 宋song 宏hong 宝bao 宫gong 家jia 尚shang 尹yin 山shan 岳yue 峰feng 崔cui 左zuo 帅shuai 常chang
平ping 广guang 庄zhuang 庆qing 庞pang 康kang 廖liao 建jian 张zhang 强qiang 彩cai 彭peng 徐xu 德de 心xin 志zhi
忠zhong 思si 怡yi 恒heng 恩en 悦yue 慕mu 慧hui 成cheng 戚qi 戴dai 房fang 振zhen 敏min 文wen 斌bin
新xin 方fang 施shi 旭xu 昊hao 明ming 易yi 春chun 晓xiao 晨chen 晶jing 曲qu 曹cao 曾zeng 月yue 朱zhu
李li 杜du 杨yang 杰jie 松song 林lin 柯ke 柳liu 柴chai 栋dong 栾luan 桂gui 梁liang 梅mei 梓zi 梦meng
樊fan 欣xin 正zheng 武wu 段duan 殷yin 毅yi 毕bi 毛mao 民min 永yong 江jiang 汤tang 汪wang 沈shen 波bo
泽ze 洁jie 洋yang 浩hao 海hai 涂tu 涛tao 涵han 淑shu 温wen 游you 滕teng 潘pan 焦jiao 然ran 熊xiong
燕yan 爱ai 牛niu 牟mou 玉yu 王wang 玲ling 珍zhen 琦qi 琪qi 琳lin 琴qin 瑞rui 瑶yao 璐lu 甘gan
生sheng 田tian 申shen 白bai 盛sheng 睿rui 石shi 磊lei 祁qi 祝zhu 祥xiang 福fu 秀xiu 秋qiu 秦qin 程cheng
立li 章zhang 童tong 符fu 管guan 素su 红hong 纪ji 罗luo 美mei 翁weng 翔xiang 翟zhai 翠cui 耀yao 耿geng
聂nie 肖xiao 胜sheng 胡hu 舒shu 航hang 艳yan 艺yi 芬fen 芳fang 苏su 苗miao 若ruo 英ying 范fan 荣rong
莉li 莫mo 莲lian 莹ying 菊ju 萌meng 萍ping 葛ge 董dong 蒋jiang 蒙meng 蓝lan 蔡cai 蕾lei 薇wei 薛xue
衣yi 袁yuan 裴pei 覃qin 解xie 詹zhan 许xu 诗shi 诚cheng 谢xie 谭tan 谷gu 贺he 贾jia 赵zhao 超chao
路lu 车che 轩xuan 辉hui 辛xin 连lian 迟chi 邓deng 邢xing 邱qiu 邵shao 邹zou 郑zheng 郝hao 郭guo 金jin
鑫xin 钟zhong 钧jun 钱qian 铭ming 锋feng 闫yan 阮ruan 阳yang 陆lu 陈chen 陶tao 隋sui 雅ya 雨yu 雪xue
雷lei 霍huo 霞xia 露lu 静jing 靳jin 鞠ju 韦wei 韩han 顺shun 顾gu 颖ying 颜yan 飞fei 香xiang 馨xin
马ma 骆luo 高gao 魏wei 鲁lu 鲍bao 鹏peng 黄huang 黎li 齐qi 龙long 龚gong 一yi 上shang 乐le 保bao
冬dong 司si 天tian 嫣yan 官guan 小xiao 彤tong 援yuan 曦xi 朝chao 树shu 欧ou 洪hong 男nan 皓hao 紫zi
花hua 语yu 诸zhu 诺nuo 豪hao 远yuan 长chang 鸣ming 二er 三san 四si 五wu 六liu 七qi 八ba 九jiu
十shi 大da 中zhong 人ren 日ri 水shui 火huo 木mu 土tu 川chuan 河he 湖hu 泉quan 溪xi 浪lang 清qing
澄cheng 源yuan 深shen 泓hong 涌yong 淼miao 森sen 杉shan 柏bai 桐tong 楠nan 榕rong 槐huai 枫feng 桦hua 梧wu
棠tang 樱ying 菲fei 芝zhi 芸yun 芷zhi 苑yuan 茜qian 茹ru 荷he 莎sha 菁jing 萱xuan 蓉rong 蓓bei 蕊rui
薰xun 藤teng 凡fan 丰feng 义yi 之zhi 乾qian 亦yi 仁ren 今jin 仕shi 以yi 仲zhong 伦lun 佑you 作zuo
佩pei 依yi 侠xia 信xin 修xiu 倍bei 儒ru 元yuan 兆zhao 先xian 克ke 全quan 兴xing 其qi 典dian 冠guan
冰bing 凝ning 创chuang 力li 功gong 加jia 劲jin 勋xun 千qian 升sheng 卓zhuo 南nan 占zhan 卿qing 厚hou 友you
双shuang 发fa 君jun 吉ji 同tong 名ming 和he 咏yong 品pin 唯wei 善shan 喜xi 圣sheng 坚jian 培pei 基ji
堂tang 墨mo 士shi 壮zhuang 声sheng 复fu 夫fu 奕yi 如ru 妮ni 姗shan 姝shu 姣jiao 娇jiao 娅ya 娴xian
婕jie 婧jing 婵chan 媚mei 孝xiao 宗zong 定ding 宜yi 宣xuan 宪xian 宸chen 容rong 宽kuan 富fu 寒han 尊zun
少shao 尔er 展zhan 岚lan 岩yan 崇chong 州zhou 巧qiao 希xi 帆fan 师shi 年nian 幸xing 延yan 弘hong 彦yan
彬bin 影ying 征zheng 律lv 得de 微wei 忆yi 怀huai 恺kai 惠hui 意yi 慈ci 懿yi 战zhan 才cai 承cheng
捷jie 政zheng 敬jing 斐fei 旺wang 昌chang 昕xin 星xing 昭zhao 晋jin 晗han 晟sheng 晴qing 智zhi 暖nuan 曼man
有you 朋peng 望wang 本ben 杭hang 果guo 根gen 桥qiao 楚chu 楷kai 欢huan 毓yu 汉han 沁qin 沐mu 沛pei
治zhi 泰tai 洲zhou 津jin 润run 淳chun 渊yuan 瀚han 灵ling 炎yan 炜wei 烨ye 焕huan 煜yu 照zhao 熙xi
犇ben 琛chen 琼qiong 瑜yu 瑾jin 璇xuan 璟jing 甜tian 由you 畅chang 登deng 百bai 皎jiao 盈ying 益yi 盼pan
真zhen 知zhi 硕shuo 礼li 祖zu 神shen 禄lu 禹yu 秉bing 科ke 穗sui 竹zhu 笑xiao 策ce 米mi 精jing
纯chun 绍shao 继ji 维wei 绮qi 缘yuan 群qun 羽yu 翊yi 翰han 聪cong 育yu 胤yin 致zhi 舟zhou 良liang
芊qian 芮rui 苒ran 茂mao 茗ming 茵yin 菡han 蔚wei 虎hu 虹hong 蝶die 行xing 裕yu 西xi 觉jue 言yan
誉yu 谦qian 谨jin 贝bei 贞zhen 贤xian 赋fu 赫he 越yue 跃yue 轶yi 辰chen 达da 迅xun 进jin 逸yi
道dao 遥yao 邦bang 郁yu 钊zhao 钰yu 铁tie 银yin 锐rui 锦jin 镇zhen 闻wen 阔kuo 雄xiong 雁yan 雯wen
霖lin 青qing 靖jing 韬tao 韵yun 颂song 风feng 飘piao 馥fu 骏jun 鸿hong 鹤he 麟lin 黛dai 鼎ding 尤you
邝kuang 甄zhen 卜bu 伏fu 冷leng 晏yan 岑cen 卞bian 农nong 边bian 练lian 芦lu 宿su 徒tu 甫fu 令ling
狐hu 尉yu 习xi 郜gao 裘qiu 蒲pu 邬wu 阎yan 窦dou 娄lou 危wei 巫wu 汝ru 粟su 封feng 项xiang
闵min 门men 鄢yan 麻ma 廉lian 查zha 朴piao 区ou 盖ge 饶rao 母mu 苟gou 佘she 应ying 池chi 归gui
公gong 皇huang 晁chao 臧zang 计ji 伊yi 暴bao 厉li 戎rong 景jing 束shu 韶shao 蓟ji 薄bo 印yin 邰tai
从cong 鄂e 索suo 咸xian 籍ji 赖lai 蔺lin 屠tu 阴yin 胥xu 能neng 苍cang 莘shen 党dang 贡gong 劳lao
逄pang 扶fu 堵du 宰zai 郦li 雍yong 却que 璩qu 桑sang 濮pu 寿shou 通tong 扈hu 冀ji 浦pu 别bie
瞿qu 充chong 宦huan 艾ai 鱼yu 古gu 慎shen 戈ge 庾yu 终zhong 暨ji 居ju 衡heng 步bu 都du 满man
匡kuang 寇kou 阙que 殴ou 殳shu 沃wo 夔kui 隆long 巩gong 厍she 勾gou 敖ao 融rong 訾zi 阚kan 那na
简jian 空kong 沙sha 乜nie 养yang 须xu 巢chao 蒯kuai 相xiang 后hou 荆jing 竺zhu 权quan 逯lu 桓huan `
